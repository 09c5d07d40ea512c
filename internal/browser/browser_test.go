package browser_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/nnergy/nnergy/internal/browser"
)

// TestRequests checks that the tab records what a page fetches, so that a
// test finding no request beyond the page's own proves something.
func TestRequests(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/plain.html", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<!DOCTYPE html><title>plain</title><p id="p">plain</p>`))
	})
	mux.HandleFunc("/fetches.html", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<!DOCTYPE html><title>fetches</title><link rel="stylesheet" href="/style.css"><p id="p" style="height:2000px">fetches</p>`))
	})
	mux.HandleFunc("/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		w.Write([]byte(`p { color: red }`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, c := range []struct {
		page string
		want []string
	}{
		{"/plain.html", []string{"/plain.html"}},
		{"/fetches.html", []string{"/fetches.html", "/style.css"}},
	} {
		t.Run(c.page[1:], func(t *testing.T) {
			tab := browser.New(t)
			tab.Do(chromedp.Navigate(srv.URL+c.page), chromedp.WaitVisible(chromedp.ID("p")))
			var got []string
			for _, u := range tab.Requests() {
				if u != srv.URL+"/favicon.ico" { // Chromium's own, at any time
					got = append(got, u[len(srv.URL):])
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("requests %q, want %q", got, c.want)
			}
			if text := browser.Eval[string](tab, `document.getElementById('p').textContent`); text != c.page[1:len(c.page)-len(".html")] {
				t.Errorf("text %q", text)
			}
		})
	}
}

// TestScreenshot checks that a screenshot is a PNG kept under
// NNERGY_ARTIFACTS in a directory named after the test.
func TestScreenshot(t *testing.T) {
	root := t.TempDir()
	t.Setenv("NNERGY_ARTIFACTS", root)
	tab := browser.New(t)
	tab.Do(chromedp.Navigate(`data:text/html,<p style="height:3000px">tall</p>`))
	for _, c := range []struct {
		name string
		shot func(string) []byte
	}{{"full.png", tab.Screenshot}, {"viewport.png", tab.ViewportScreenshot}} {
		png := c.shot(c.name)
		if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s: not a PNG: % x", c.name, png[:min(8, len(png))])
		}
		kept, err := os.ReadFile(filepath.Join(root, "TestScreenshot", c.name))
		if err != nil || !bytes.Equal(kept, png) {
			t.Errorf("%s: kept %d bytes (%v), took %d", c.name, len(kept), err, len(png))
		}
	}
}
