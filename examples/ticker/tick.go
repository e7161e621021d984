package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Tick is one trade: Size shares of Sym at Price, At after the market
// opened (the exchange's clock, not ours).
type Tick struct {
	Seq   int64
	At    time.Duration
	Sym   string
	Price float64
	Size  int64
}

// raw is a line as it comes off the feed, with the wall-clock time the feed
// sent it, from which the end-to-end latency is measured.
type raw struct {
	line string
	sent time.Time
}

var errMalformed = errors.New("malformed tick")

// parseTick parses "seq,at_µs,SYM,price,size".
func parseTick(line string) (Tick, error) {
	f := strings.Split(line, ",")
	if len(f) != 5 {
		return Tick{}, fmt.Errorf("%w: %q", errMalformed, line)
	}
	seq, err1 := strconv.ParseInt(f[0], 10, 64)
	at, err2 := strconv.ParseInt(f[1], 10, 64)
	price, err3 := strconv.ParseFloat(f[3], 64)
	size, err4 := strconv.ParseInt(f[4], 10, 64)
	if err := errors.Join(err1, err2, err3, err4); err != nil || f[2] == "" || price <= 0 || size <= 0 {
		return Tick{}, fmt.Errorf("%w: %q", errMalformed, line)
	}
	return Tick{Seq: seq, At: time.Duration(at) * time.Microsecond, Sym: f[2], Price: price, Size: size}, nil
}
