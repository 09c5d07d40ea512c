package sweep_test

import (
	"context"
	"fmt"

	"github.com/nnergy/nnergy/sweep"
)

func Example() {
	s, err := sweep.Parse("pe-array.yaml", []byte(`
version: 1
name: pe-array
arch: eyeriss
networks: [lenet5]
mapper: {method: builder, dataflow: rs}
parameters:
  - {name: x, key: levels.RF.mesh.x, values: [2, 7, 14]}
  - {name: y, key: levels.RF.mesh.y, values: [3, 12]}
constraints:
  - "x * y >= 10"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d combinations, %d left out, %d points\n", s.Combinations, s.Excluded, len(s.Points))
	res, err := s.Run(context.Background(), sweep.Options{Workers: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range res.Points {
		f := p.Workloads[0].Figures
		fmt.Printf("%-10s %4d MAC units  %6.2f uJ  %6.3f ms\n", s.Label(p.Point), f.MACUnits, f.EnergyPJ/1e6, f.LatencySeconds*1e3)
	}
	fronts, err := res.Fronts([]sweep.Objective{sweep.Energy, sweep.Latency})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, i := range fronts[0].Points {
		fmt.Println("on the front:", s.Label(res.Points[i].Point))
	}
	// Output:
	// 6 combinations, 1 left out, 5 points
	// x=2 y=12     24 MAC units   17.20 uJ   0.368 ms
	// x=7 y=3      21 MAC units   18.74 uJ   0.427 ms
	// x=7 y=12     84 MAC units   17.24 uJ   0.297 ms
	// x=14 y=3     42 MAC units   18.61 uJ   0.422 ms
	// x=14 y=12   168 MAC units   17.43 uJ   0.295 ms
	// on the front: x=2 y=12
	// on the front: x=7 y=12
	// on the front: x=14 y=12
}
