package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrParamsDiffer is returned when a run is resumed with a -seed, -shards,
// -words or -chunks other than the run's: its jobs would compute another
// analysis than the results already in the streams.
var ErrParamsDiffer = errors.New("distributed: flags differ from the run's")

// runParams are the flags that make a run's jobs. They are recorded on the
// run's params subject when the run starts, because a coordinator resuming
// the run must make the same jobs, whatever flags it is given.
type runParams struct {
	Seed   uint64 `json:"seed"`
	Shards int    `json:"shards"`
	Words  int    `json:"words"`
	Chunks int    `json:"chunks"`
}

func paramsOf(c config) runParams {
	return runParams{Seed: c.seed, Shards: c.shards, Words: c.words, Chunks: c.chunks}
}

// settleParams records c's parameters for run if the run has none yet, and
// otherwise returns c with the run's: a flag given (as given tells) with
// another value than the run's is an error wrapping [ErrParamsDiffer] that
// names it, and a flag not given takes the run's value. It reports whether
// the run had parameters already.
func settleParams(ctx context.Context, js jetstream.JetStream, run string, c config, given func(flag string) bool) (config, bool, error) {
	s, err := js.Stream(ctx, outStream)
	if err != nil {
		return c, false, err
	}
	for {
		msg, err := s.GetLastMsgForSubject(ctx, paramsSubject(run))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			data, err := json.Marshal(paramsOf(c))
			if err != nil {
				return c, false, err
			}
			// Expecting no earlier message makes the first of two
			// coordinators starting the run at once the one whose
			// parameters hold; the other reads them on the next turn.
			_, err = js.Publish(ctx, paramsSubject(run), data, jetstream.WithExpectLastSequencePerSubject(0))
			var apiErr *jetstream.APIError
			if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
				continue
			}
			if err != nil {
				return c, false, fmt.Errorf("run %s: record its parameters: %w", run, err)
			}
			return c, false, nil
		}
		if err != nil {
			return c, false, fmt.Errorf("run %s: read its parameters: %w", run, err)
		}
		var p runParams
		if err := json.Unmarshal(msg.Data, &p); err != nil {
			return c, false, fmt.Errorf("run %s: unreadable parameters %.80q: %w", run, msg.Data, err)
		}
		mine := paramsOf(c)
		var differ []string
		for _, f := range []struct {
			name      string
			run, mine any
		}{
			{"seed", p.Seed, mine.Seed},
			{"shards", p.Shards, mine.Shards},
			{"words", p.Words, mine.Words},
			{"chunks", p.Chunks, mine.Chunks},
		} {
			if given(f.name) && f.run != f.mine {
				differ = append(differ, fmt.Sprintf("-%s %v (the run has %v)", f.name, f.mine, f.run))
			}
		}
		if len(differ) > 0 {
			return c, true, fmt.Errorf("%w: run %s: %s; leave them out to resume the run, or start a new one",
				ErrParamsDiffer, run, strings.Join(differ, ", "))
		}
		c.seed, c.shards, c.words, c.chunks = p.Seed, p.Shards, p.Words, p.Chunks
		return c, true, nil
	}
}
