package fit_test

import (
	"context"
	"fmt"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/fit"
	"github.com/nnergy/nnergy/workload/zoo"
)

// Does LeNet-5 fit a tiny robot's 5 mW at 30 frames per second on the
// Eyeriss preset?
func ExampleCheck() {
	power, _ := fit.ParsePower("5mW")
	fps, _ := fit.ParseRate("30fps")
	spec, _ := arch.Preset("eyeriss")
	m, _ := cost.New(spec)
	net, _ := zoo.Get("lenet5")
	res, err := explore.Evaluate(context.Background(), m, net, explore.DataflowMapper(m, dataflow.RS))
	if err != nil {
		fmt.Println(err)
		return
	}
	v := fit.Check(spec, res, fit.Budget{PowerWatts: power, FPS: fps})
	fmt.Printf("fits %v, least margin %s: %.2f mW of 5 mW (leakage %.2f mW); %.0f fps at most, bound by %s\n",
		v.Fits, v.Limiter, v.PowerWatts*1e3, v.LeakageAtFPSWatts*1e3, v.MaxFPS, v.Bounds[0])
	// Output:
	// fits true, least margin power: 2.63 mW of 5 mW (leakage 2.12 mW); 3390 fps at most, bound by DRAM bandwidth
}
