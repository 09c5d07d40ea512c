package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/nnergy/nnergy/nn"
)

// trainTTY reports whether w is a terminal.
func trainTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// trainProgress draws a one-line trainProgress bar with the loss and the throughput,
// redrawn at most ten times a second.
type trainProgress struct {
	w     io.Writer
	on    bool
	last  time.Time
	drawn bool
}

const trainBarWidth = 30

func (p *trainProgress) step(ev nn.Event) {
	if !p.on || (ev.Step != ev.Steps && time.Since(p.last) < 100*time.Millisecond) {
		return
	}
	p.last = time.Now()
	done := trainBarWidth * ev.Step / ev.Steps
	bar := strings.Repeat("=", done) + strings.Repeat(" ", trainBarWidth-done)
	if done < trainBarWidth {
		bar = bar[:done] + ">" + bar[done+1:]
	}
	fmt.Fprintf(p.w, "\r\x1b[Kepoch %d/%d [%s] %3d%% loss %.4f %.0f img/s", ev.Epoch, ev.Epochs, bar,
		100*ev.Step/ev.Steps, ev.Loss, ev.ImagesPerSec())
	p.drawn = true
}

// clear erases the bar so that other output starts on a clean line.
func (p *trainProgress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}
