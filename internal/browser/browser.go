// Package browser gives tests a tab of a real headless Chromium (Debian's
// chromium, /usr/bin/chromium), driven through the DevTools protocol with
// chromedp, that records every network request the page makes and keeps its
// screenshots as test artifacts.
//
// Each call of New starts a fresh browser with its own profile directory and
// the flags that keep it off the network (no background networking,
// component updates, sync or QUIC), and stops it when the test ends.
// Without Chromium a test skips, saying why, unless
// NNERGY_REQUIRE_CHROMIUM=1, when it fails.
//
// Screenshots go to the directory NNERGY_ARTIFACTS names (created when
// missing), under the test's name, or to the test's temporary directory.
package browser

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Path is the Chromium binary the tests run.
const Path = "/usr/bin/chromium"

// Flags are Chromium's command-line flags besides the profile directory:
// headless without scrollbars (for screenshots), without the sandbox (tests run as root in containers) or a GPU,
// and without the connections a fresh profile opens by itself.
var Flags = []string{
	"headless", "hide-scrollbars", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
	"disable-background-networking", "disable-component-update", "disable-sync",
}

// Required says whether NNERGY_REQUIRE_CHROMIUM asks the tests to fail
// rather than skip without Chromium.
func Required() bool { return os.Getenv("NNERGY_REQUIRE_CHROMIUM") == "1" }

// Tab is one page of a headless Chromium that belongs to a test.
type Tab struct {
	t   testing.TB
	ctx context.Context

	mu       sync.Mutex
	requests []string
}

// New starts Chromium for t and opens a tab with network tracking on; it
// skips t (fails it under NNERGY_REQUIRE_CHROMIUM=1) when Chromium is
// missing. The browser stops when t ends.
func New(t testing.TB) *Tab {
	t.Helper()
	if _, err := os.Stat(Path); err != nil {
		if errors.Is(err, os.ErrNotExist) && !Required() {
			t.Skipf("no Chromium: %s is missing (install Debian's chromium; NNERGY_REQUIRE_CHROMIUM=1 makes this a failure)", Path)
		}
		t.Fatalf("browser: Chromium: %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(Path), chromedp.UserDataDir(t.TempDir())}
	for _, f := range Flags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	tab := &Tab{t: t}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(tab.record))
	t.Cleanup(func() {
		// Cancel closes the browser; an error there does not change what
		// the test saw.
		_ = chromedp.Cancel(ctx)
		cancel()
		cancelAlloc()
	})
	tab.ctx = ctx
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("browser: starting %s: %v", Path, err)
	}
	return tab
}

// record keeps the URL of every request the page is about to send.
func (tab *Tab) record(ev any) {
	if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request != nil {
		tab.mu.Lock()
		tab.requests = append(tab.requests, e.Request.URL)
		tab.mu.Unlock()
	}
}

// Context is the tab's chromedp context, for actions this package does not
// wrap.
func (tab *Tab) Context() context.Context { return tab.ctx }

// Requests returns the URLs of the requests the tab has sent, in order.
func (tab *Tab) Requests() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.requests...)
}

// Do runs actions in the tab and fails the test at the first error.
func (tab *Tab) Do(actions ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	if err := chromedp.Do(tab.ctx, actions...); err != nil {
		tab.t.Fatalf("browser: %v", err)
	}
}

// Eval returns the value of a JavaScript expression in the page, failing the
// test when it throws or does not decode into T.
func Eval[T any](tab *Tab, expr string) T {
	tab.t.Helper()
	v, err := chromedp.Run(tab.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tab.t.Fatalf("browser: %s: %v", expr, err)
	}
	return v
}

// Screenshot saves a PNG of the whole page as name (a file name ending in
// .png) in ArtifactDir and returns its bytes.
func (tab *Tab) Screenshot(name string) []byte {
	tab.t.Helper()
	png, err := chromedp.Run(tab.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tab.t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	return tab.save(name, png)
}

// ViewportScreenshot saves a PNG of what the viewport shows, like
// Screenshot.
func (tab *Tab) ViewportScreenshot(name string) []byte {
	tab.t.Helper()
	png, err := chromedp.Run(tab.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tab.t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	return tab.save(name, png)
}

func (tab *Tab) save(name string, png []byte) []byte {
	tab.t.Helper()
	if !strings.HasSuffix(name, ".png") || strings.ContainsAny(name, `/\`) {
		tab.t.Fatalf("browser: screenshot %q: want a file name ending in .png", name)
	}
	path := filepath.Join(ArtifactDir(tab.t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tab.t.Fatalf("browser: screenshot: %v", err)
	}
	tab.t.Logf("screenshot %s", path)
	return png
}

// ArtifactDir returns the directory t's artifacts go in: under
// NNERGY_ARTIFACTS, a directory named after the test (created), or else a
// temporary directory of t.
func ArtifactDir(t testing.TB) string {
	t.Helper()
	root := os.Getenv("NNERGY_ARTIFACTS")
	if root == "" {
		return t.TempDir()
	}
	dir := filepath.Join(root, strings.NewReplacer("/", "_", `\`, "_").Replace(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("browser: NNERGY_ARTIFACTS: %v", err)
	}
	return dir
}
