package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/server"
)

// tokenEnv holds the API token when --token is not given.
const tokenEnv = "NNERGY_TOKEN"

func (e *env) serveCmd() *cobra.Command {
	var addr, token string
	var jobs int
	var maxBody int64
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API and the web UI over the results store",
		Long: `Serve the HTTP API (docs/api.md, docs/api/openapi.yaml) and the web UI
(docs/ui.md) over the results store (--store): list, read, compare and
remove runs, and start evaluations as jobs that run --jobs at a time and
are recorded as runs. The web UI is at / (runs list, a page per run, sweep
points, compare, a form for new evals); its files are in the binary.

The server listens on the loopback address by default. Any other address
needs a token (--token, else $` + tokenEnv + `), which every request then
carries as "Authorization: Bearer TOKEN"; a browser opens the UI once
with ?token=TOKEN and keeps it in a cookie. The first line on standard error
names the address it listens on: "nnergy: serving the API on
http://HOST:PORT/api/v1 over STORE" (--addr 127.0.0.1:0 picks a free port).

At start, the runs left running by a process of this machine that is gone
(a server or a command killed) are marked interrupted, as nnergy runs reap
does; runs that live processes or other hosts write are left alone. On
SIGTERM or SIGINT the server stops accepting requests and jobs, cancels the
jobs still running or waiting, records them as interrupted, and exits 0.`,
		Example: `  nnergy serve
  NNERGY_TOKEN=secret nnergy serve --addr 0.0.0.0:8080 --jobs 2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("token") {
				token = os.Getenv(tokenEnv)
			}
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return usagef("serve: --addr %q: %v", addr, err)
			}
			if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && token == "" {
				return usagef("serve: --addr %s is not a loopback address: give a --token (or $%s)", addr, tokenEnv)
			}
			if jobs < 0 {
				return usagef("serve: --jobs must not be negative, got %d", jobs)
			}
			// SIGTERM and SIGINT shut the server down gracefully: exit 0.
			signalIsNormalEnd(cmd.Context())
			ctx := cmd.Context()
			st, err := e.openStore(ctx, "serve")
			if err != nil {
				return err
			}
			defer st.Close()
			srv, err := server.New(ctx, server.Config{Store: st, Token: token, Jobs: jobs, MaxBody: maxBody, Timeout: timeout})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: timeout}
			fmt.Fprintf(e.stderr, "nnergy: serving the API on http://%s/api/v1 over %s\n", ln.Addr(), st.Location())
			if ids := srv.Orphans(); len(ids) > 0 {
				fmt.Fprintf(e.stderr, "nnergy: marked interrupted %s whose process is gone: %s\n", plural(len(ids), "run"), joinIDs(ids))
			}
			if token == "" {
				fmt.Fprintf(e.stderr, "nnergy: the web UI is at http://%s/\n", ln.Addr())
			} else {
				fmt.Fprintf(e.stderr, "nnergy: the web UI is at http://%s/ (open it once with ?token=TOKEN)\n", ln.Addr())
			}
			served := make(chan error, 1)
			go func() { served <- hs.Serve(ln) }()
			select {
			case err := <-served:
				return err
			case <-ctx.Done():
			}
			fmt.Fprintf(e.stderr, "nnergy: shutting down\n")
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			// Jobs first: their event streams end with them.
			jerr := srv.Shutdown(sctx)
			herr := hs.Shutdown(sctx)
			if errors.Is(herr, http.ErrServerClosed) {
				herr = nil
			}
			return errors.Join(jerr, herr)
		},
	}
	fl := c.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (host:port); a non-loopback host needs --token")
	fl.StringVar(&token, "token", "", "bearer token every request must carry (default $"+tokenEnv+")")
	fl.IntVar(&jobs, "jobs", 0, "jobs that run at once, as many more wait (0: GOMAXPROCS)")
	fl.Int64Var(&maxBody, "max-body", server.DefaultMaxBody, "largest request body in bytes (larger: 413)")
	fl.DurationVar(&timeout, "request-timeout", server.DefaultTimeout, "longest time a request takes (jobs run on)")
	deprecatedAlias(fl, "timeout", "request-timeout")
	return c
}
