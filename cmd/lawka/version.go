package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"time"

	"lawka/internal/version"
)

func runVersion(_ context.Context, env *environment, args []string) error {
	fs := flags(env, "version", "", "Prints the version of this binary.")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "lawka %s (%s)\n", version.Version, runtime.Version())
	return nil
}

func runHealthcheck(ctx context.Context, env *environment, args []string) error {
	fs := flags(env, "healthcheck", "", "GETs /healthz of the server on LAWKA_ADDR; exits 0 when it answers 200.")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(env.cfg.Addr)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz answered %d", resp.StatusCode)
	}
	return nil
}
