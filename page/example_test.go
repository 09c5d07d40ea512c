package page_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/page"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/workload/zoo"
)

// The page nnergy eval --model lenet5 --report FILE.html writes, from a Go
// program; a figure is read back by its id.
func ExampleEval() {
	spec, _ := arch.Preset("eyeriss")
	m, _ := cost.New(spec)
	net, _ := zoo.Get("lenet5")
	res, err := explore.Evaluate(context.Background(), m, net, explore.DataflowMapper(m, dataflow.RS))
	if err != nil {
		fmt.Println(err)
		return
	}
	rs := dataflow.RS
	rep, err := report.NewEval(context.Background(), m, res, report.EvalOptions{Source: report.SourceBuilder, Dataflow: &rs})
	if err != nil {
		fmt.Println(err)
		return
	}
	var b bytes.Buffer
	if err := page.Eval(&b, rep); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(regexp.MustCompile(`<dd id="total-energy-over-lower-bound" data-value="[^"]*">[^ ]*`).FindString(b.String()))
	fmt.Println(regexp.MustCompile(`<h1 id="title">[^<]*`).FindString(b.String()))
	// Output:
	// <dd id="total-energy-over-lower-bound" data-value="1.1937423043003084">1.19×
	// <h1 id="title">lenet5 on eyeriss
}
