package report

import (
	"fmt"

	"github.com/nnergy/nnergy/codesign"
	"github.com/nnergy/nnergy/prune"
)

// Codesign is the report of nnergy codesign: the unadapted network on every
// design point of a sweep, the methods run on the candidate designs, and
// the Pareto front over (accuracy, energy, latency, area).
type Codesign struct {
	Header
	Model string `json:"model"`
	Data  string `json:"data"`
	// Sweep is the sweep's name, SweepFile its file.
	Sweep     string `json:"sweep"`
	SweepFile string `json:"sweep_file"`
	// Budget is METRIC=VALUE as given; Metric energy or latency.
	Budget string `json:"budget"`
	Metric string `json:"metric"`
	// Methods are netadapt and/or energy-aware; Objectives those of the
	// candidates' front; Top the number of candidates by the budget's
	// metric (0: the front).
	Methods    []string   `json:"methods"`
	Objectives []string   `json:"objectives"`
	Top        int        `json:"top"`
	Seed       uint64     `json:"seed"`
	Shard      SweepShard `json:"shard"`
	// Accuracy is the unadapted model's on the test set, TestImages the
	// set's size.
	Accuracy   float64 `json:"accuracy"`
	TestImages int     `json:"test_images"`
	// Designs are every point of the sweep, in its order.
	Designs []CodesignDesign `json:"designs"`
	// Jobs are every method on every candidate; a job of another shard
	// not stored yet has no outcome (Done false).
	Jobs []CodesignJob `json:"jobs"`
	// Complete says whether every job is done (the front then covers
	// them all); Ran and Resumed count the jobs this run computed and
	// read from the store.
	Complete bool `json:"complete"`
	Ran      int  `json:"ran"`
	Resumed  int  `json:"resumed"`
	// Front is the Pareto front over (accuracy, energy, latency, area) of
	// the unadapted network on every design and every done job, by
	// accuracy (highest first), then energy.
	Front []CodesignPoint `json:"front"`
}

// CodesignDesign is the unadapted network on one design point.
type CodesignDesign struct {
	Index  int          `json:"index"`
	ID     string       `json:"id"`
	Values []SweepValue `json:"values"`
	// OK is false when the design cannot run the network; Reason says why.
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
	// Method and Dataflow are the design's mapper settings.
	Method         string  `json:"method"`
	Dataflow       string  `json:"dataflow"`
	EnergyPJ       float64 `json:"energy_pj"`
	LatencySeconds float64 `json:"latency_seconds"`
	AreaUM2        float64 `json:"area_um2"`
	// Candidate marks the designs the methods ran on.
	Candidate bool `json:"candidate"`
}

// CodesignJob is one method on one candidate design.
type CodesignJob struct {
	Index  int    `json:"index"`
	Design string `json:"design"`
	Method string `json:"method"`
	Done   bool   `json:"done"`
	// Accuracy is the adapted model's on the test set; EnergyPJ and
	// LatencySeconds its figures on the design; EnergyRatio and
	// LatencyRatio them over the unadapted network's.
	Accuracy       float64 `json:"accuracy"`
	EnergyPJ       float64 `json:"energy_pj"`
	LatencySeconds float64 `json:"latency_seconds"`
	EnergyRatio    float64 `json:"energy_ratio"`
	LatencyRatio   float64 `json:"latency_ratio"`
	// Budget is the budget in the metric's unit (pJ or seconds) on this
	// design; Met says whether the adapted model is within it.
	Budget float64 `json:"budget"`
	Met    bool    `json:"met"`
	// ModelFile is where the adapted model was written, if it was.
	ModelFile string `json:"model_file,omitempty"`
	// Adapt is NetAdapt's history, Prune the energy-aware pruning's.
	Adapt *Adapt `json:"adapt,omitempty"`
	Prune *Prune `json:"prune,omitempty"`
}

// CodesignPoint is one combination on the front.
type CodesignPoint struct {
	Design string `json:"design"`
	// Method is none (the unadapted network), netadapt or energy-aware;
	// Job indexes jobs, -1 for none.
	Method         string  `json:"method"`
	Job            int     `json:"job"`
	Accuracy       float64 `json:"accuracy"`
	EnergyPJ       float64 `json:"energy_pj"`
	LatencySeconds float64 `json:"latency_seconds"`
	AreaUM2        float64 `json:"area_um2"`
}

// CodesignInfo describes a codesign run for its report.
type CodesignInfo struct {
	Model, Data, Budget string
	// ModelFiles names the file each job's model was written to ("" or
	// missing: none).
	ModelFiles []string
}

// NewCodesign returns the report of res.
func NewCodesign(info CodesignInfo, res *codesign.Result) (*Codesign, error) {
	o := res.Options
	s := o.Sweep
	rep := &Codesign{Header: header(KindCodesign), Model: info.Model, Data: info.Data, Sweep: s.Name, SweepFile: s.File,
		Budget: info.Budget, Metric: o.Budget.Metric.String(), Methods: []string{}, Objectives: []string{}, Top: o.Top, Seed: o.Seed,
		Shard:    SweepShard{Index: o.Shard.Index, Count: max(o.Shard.Count, 1), Seed: s.ShardSeed},
		Accuracy: res.Accuracy, TestImages: o.Test.Len(), Designs: []CodesignDesign{}, Jobs: []CodesignJob{},
		Complete: res.Complete(), Ran: res.Ran, Resumed: res.Resumed, Front: []CodesignPoint{}}
	for _, m := range o.Methods {
		rep.Methods = append(rep.Methods, m.String())
	}
	for _, ob := range o.Objectives {
		rep.Objectives = append(rep.Objectives, ob.String())
	}
	names := s.Names()
	for i := range res.Designs {
		d := &res.Designs[i]
		cd := CodesignDesign{Index: d.Point.Index, ID: d.Point.ID, Values: []SweepValue{}, OK: d.OK(), Reason: d.Reason,
			Method: d.Design.Mapper.Method.String(), Dataflow: d.Design.Mapper.DataflowName(), Candidate: d.Candidate}
		for k, v := range d.Point.Values {
			cd.Values = append(cd.Values, SweepValue{Name: names[k], Value: v.Text})
		}
		if d.OK() {
			cd.EnergyPJ, cd.LatencySeconds, cd.AreaUM2 = d.Resource.EnergyPJ, d.Resource.LatencyS, d.AreaUM2
		}
		rep.Designs = append(rep.Designs, cd)
	}
	for j, jb := range res.Jobs {
		d := &res.Designs[jb.Design]
		cj := CodesignJob{Index: j, Design: d.Point.ID, Method: jb.Method.String()}
		if j < len(info.ModelFiles) {
			cj.ModelFile = info.ModelFiles[j]
		}
		if out := res.Outcomes[j]; out != nil {
			cj.Done, cj.Accuracy, cj.EnergyPJ, cj.LatencySeconds = true, out.Accuracy, out.EnergyPJ, out.LatencyS
			cj.EnergyRatio, cj.LatencyRatio = out.EnergyPJ/d.Resource.EnergyPJ, out.LatencyS/d.Resource.LatencyS
			cj.Budget, cj.Met = out.Budget, out.Met
			if err := cj.histories(info, d, out); err != nil {
				return nil, err
			}
		}
		rep.Jobs = append(rep.Jobs, cj)
	}
	for _, c := range res.Front {
		p := CodesignPoint{Design: res.Designs[c.Design].Point.ID, Method: "none", Job: c.Job, Accuracy: c.Accuracy,
			EnergyPJ: c.EnergyPJ, LatencySeconds: c.LatencyS, AreaUM2: c.AreaUM2}
		if c.Job >= 0 {
			p.Method = res.Jobs[c.Job].Method.String()
		}
		rep.Front = append(rep.Front, p)
	}
	return checked(rep)
}

// histories sets the job's NetAdapt or pruning history.
func (cj *CodesignJob) histories(info CodesignInfo, d *codesign.Design, out *codesign.Outcome) error {
	arch := d.Design.Arch.Name + " " + d.Point.ID
	if out.Adapt != nil {
		a, err := NewAdapt(AdaptInfo{Model: info.Model, Data: info.Data, Measurer: "model", Arch: arch}, out.Adapt)
		if err != nil {
			return err
		}
		cj.Adapt = a
	}
	if out.Prune != nil {
		src := SourceBuilder
		if d.Design.Mapper.Method.String() == "search" {
			src = SourceMapper
		}
		var target prune.Target
		if d.Resource.EnergyPJ > 0 {
			target = prune.Target{Energy: true, Fraction: out.Budget / d.Resource.EnergyPJ}
		}
		cj.Prune = NewPrune(PruneInfo{Model: info.Model, Data: info.Data, Arch: arch, Dataflow: d.Design.Mapper.DataflowName(),
			MappingSource: src, Granularity: prune.Filter, Targets: []prune.Target{target}},
			[]MethodResult{{Method: prune.EnergyAware, Result: &prune.Result{Steps: out.Prune, Reached: out.Met}}})
	}
	if out.Adapt == nil && out.Prune == nil {
		return fmt.Errorf("report: codesign job %s on %s has no history", out.Method, out.PointID)
	}
	return nil
}
