package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The streams, subjects and consumer every process of a run agrees on.
//
// JOBS is a work-queue stream: a job message stays in it until a worker acks
// it, and the durable pull consumer "workers" hands each message to one
// worker at a time, again after AckWait if that worker goes quiet, at most
// MaxDeliver times. OUT holds what comes back, kept by the usual limits
// retention so that a coordinator started later can read it all again:
// results on results.<run>, dead letters on dead.<run>, and the parameters
// the run was started with on params.<run>. Both streams drop a
// message whose Nats-Msg-Id they saw within the duplicate window (2 minutes),
// which makes re-publishing a job or a result within it harmless; after it, a
// job may run twice and its result come twice, and the coordinator counts it
// once all the same. OUT also keeps the
// server's advisory that a job reached MaxDeliver without an ack — what is
// left of a job whose last worker died holding it — so that the
// coordinator, even one started later, can dead-letter it.
const (
	jobsStream   = "JOBS"
	outStream    = "OUT"
	consumerName = "workers"
	headerMsgID  = "Nats-Msg-Id"
)

func jobSubject(run string) string    { return "jobs." + run }
func resultSubject(run string) string { return "results." + run }
func deadSubject(run string) string   { return "dead." + run }
func paramsSubject(run string) string { return "params." + run }

// maxDeliveriesSubject is where the server reports a job delivered MaxDeliver
// times without an ack.
const maxDeliveriesSubject = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + jobsStream + "." + consumerName

// brokerConfig is what the coordinator sets up on the server.
type brokerConfig struct {
	ackWait       time.Duration // how long a job may go without an ack or heartbeat
	maxDeliver    int           // deliveries of a job before it is dead-lettered
	maxAckPending int           // jobs delivered and not yet acked, over all workers
	storage       jetstream.StorageType
}

// setupStreams creates the streams, unless they exist (an existing stream is
// used as it is: its storage, for one, cannot change — except that an OUT
// stream made before runs recorded their parameters gets their subject), and
// creates or updates the workers' consumer.
func setupStreams(ctx context.Context, js jetstream.JetStream, c brokerConfig) error {
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:       jobsStream,
		Subjects:   []string{"jobs.>"},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    c.storage,
		Duplicates: 2 * time.Minute,
	}); err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("stream %s: %w", jobsStream, err)
	}
	out, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:       outStream,
		Subjects:   []string{"results.>", "dead.>", "params.>", maxDeliveriesSubject},
		Retention:  jetstream.LimitsPolicy,
		Storage:    c.storage,
		Duplicates: 2 * time.Minute,
	})
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		out, err = js.Stream(ctx, outStream)
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", outStream, err)
	}
	if cfg := out.CachedInfo().Config; !slices.Contains(cfg.Subjects, "params.>") {
		cfg.Subjects = append(cfg.Subjects, "params.>")
		if _, err := js.UpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("stream %s: %w", outStream, err)
		}
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, jobsStream, jetstream.ConsumerConfig{
		Durable:       consumerName,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.ackWait,
		MaxDeliver:    c.maxDeliver,
		MaxAckPending: c.maxAckPending,
		FilterSubject: "jobs.>",
	}); err != nil {
		return fmt.Errorf("consumer %s: %w", consumerName, err)
	}
	return nil
}

// embedded is a NATS server with JetStream running inside this process, with
// its store in a directory of its own, listening on a free loopback port so
// that worker processes can reach it.
type embedded struct {
	srv *server.Server
}

func startEmbedded(storeDir string) (*embedded, error) {
	srv, err := server.NewServer(&server.Options{
		Host:      "127.0.0.1",
		Port:      server.RANDOM_PORT,
		JetStream: true,
		StoreDir:  storeDir,
		NoLog:     true,
		NoSigs:    true,
	})
	if err != nil {
		return nil, err
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, errors.New("embedded NATS server not ready after 10s")
	}
	return &embedded{srv: srv}, nil
}

func (e *embedded) url() string { return e.srv.ClientURL() }

func (e *embedded) shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}

// connect opens a connection named name to url and its JetStream context.
func connect(url, name string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}
