package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

// childMain runs a re-executed test binary as a worker; with holdEnv set, one
// that announces each job and holds it until the process is killed.
func childMain(ctx context.Context, args []string) error {
	if os.Getenv(holdEnv) == "" {
		return run(ctx, args, io.Discard, os.Stderr)
	}
	c, err := parse(args, os.Stderr)
	if err != nil {
		return err
	}
	return runWorker(ctx, c, io.Discard, map[string]Handler{
		kindWords: func(ctx context.Context, _ *counter, job Job) (Result, error) {
			fmt.Printf("holding %s\n", jobName(job))
			<-ctx.Done()
			return Result{}, ctx.Err()
		},
	})
}
