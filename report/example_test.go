package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

// The report nnergy eval --model lenet5 --density inputs=0.5 prints, from a
// Go program: per-inference totals and the dense twin come with it.
func ExampleNewEval() {
	spec, _ := arch.Preset("eyeriss")
	m, _ := cost.New(spec)
	net, _ := zoo.Get("lenet5")
	for _, l := range net.Layers {
		l.Density[workload.Inputs] = 0.5
	}
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
	t := rep.Total
	fmt.Printf("%s %s: %s on %s, %d layers\n", rep.Version, rep.Kind, rep.Model, rep.Arch, len(rep.Layers))
	fmt.Printf("%.3f uJ per inference, %.0f inferences/s, %.1f mW\n", t.EnergyPerInferencePJ/1e6, t.InferencesPerSecond, t.PowerWatts*1e3)
	fmt.Printf("dense twin %.3f uJ: %.1f%% saved\n", t.Dense.EnergyPJ/1e6, 100*t.Dense.SavedFraction)
	fmt.Printf("%s is bound by %s %s\n", rep.Layers[0].Name, rep.Layers[0].BoundBy, rep.Layers[0].BoundLevel)
	json.NewEncoder(os.Stdout).Encode(rep.Layers[0].Mapping.Levels[2])
	// Output:
	// nnergy.report/v2 eval: lenet5 on eyeriss, 5 layers
	// 15.807 uJ per inference, 3435 inferences/s, 54.3 mW
	// dense twin 16.804 uJ: 5.9% saved
	// c1 is bound by level DRAM
	// {"name":"RF","keep":["weights","inputs","outputs"],"temporal":[{"dim":"M","factor":6},{"dim":"S","factor":5}],"spatial":[]}
}
