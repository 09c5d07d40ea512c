package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nnergy/nnergy/sweep"
)

// k8sFlags are the flags of sweep --emit-k8s-job.
type k8sFlags struct {
	emit                                                   bool
	image, secret, secretKey                               string
	parallelism, completions, backoffPerIndex, maxFailedIx int
}

func k8sFlagsOn(fl *pflag.FlagSet, f *k8sFlags) {
	fl.BoolVar(&f.emit, "emit-k8s-job", false, "write a Kubernetes Indexed Job (and the ConfigMap of the sweep file) that runs the shards against the store of --secret, and exit")
	fl.StringVar(&f.image, "image", "", "--emit-k8s-job: the container image whose entrypoint is nnergy (required)")
	fl.IntVar(&f.parallelism, "parallelism", 4, "--emit-k8s-job: shards run at once")
	fl.IntVar(&f.completions, "completions", 0, "--emit-k8s-job: number of shards (0: 20 x --parallelism, at most the points)")
	fl.StringVar(&f.secret, "secret", "nnergy-store", "--emit-k8s-job: the secret that holds the store's DSN")
	fl.StringVar(&f.secretKey, "secret-key", "dsn", "--emit-k8s-job: the key of the DSN in --secret")
	fl.IntVar(&f.backoffPerIndex, "backoff-limit-per-index", 3, "--emit-k8s-job: retries of a failed shard")
	fl.IntVar(&f.maxFailedIx, "max-failed-indexes", 0, "--emit-k8s-job: shards that may fail before the Job does (0: a tenth of the shards, at least 1)")
}

// checkK8sFlags refuses the Job's flags without --emit-k8s-job, and the
// flags that make no sense with it.
func checkK8sFlags(cmd *cobra.Command, f *sweepFlags) error {
	fl := cmd.Flags()
	if !f.k8s.emit {
		for _, n := range []string{"image", "parallelism", "completions", "secret", "secret-key", "backoff-limit-per-index", "max-failed-indexes"} {
			if fl.Changed(n) {
				return usagef("sweep: --%s goes with --emit-k8s-job", n)
			}
		}
		if f.collect && (f.list || f.printArch != "") {
			return usagef("sweep: --collect reads the points from the store; --list and --print-arch read none")
		}
		return nil
	}
	for _, n := range []string{"shard", "shards", "collect", "list", "print-arch", "pareto", "plot", "format", "workers"} {
		if fl.Changed(n) {
			return usagef("sweep: --%s does not go with --emit-k8s-job (the Job's pods run nnergy sweep --shards N)", n)
		}
	}
	if f.k8s.image == "" {
		return usagef("sweep: --emit-k8s-job needs --image, the container image whose entrypoint is nnergy")
	}
	return nil
}

func (e *env) emitK8sJob(s *sweep.Sweep, f *k8sFlags) error {
	b, err := s.K8sJob(sweep.JobOptions{Image: f.image, Parallelism: f.parallelism, Completions: f.completions, Secret: f.secret,
		SecretKey: f.secretKey, BackoffLimitPerIndex: f.backoffPerIndex, MaxFailedIndexes: f.maxFailedIx})
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(b)
	return err
}
