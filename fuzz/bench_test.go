// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import (
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"pagesim/prog"
)

// BenchmarkFuzzExec measures what a campaign's worker does per program:
// run it on a fresh machine with coverage on, turn the coverage into
// features and check it with every oracle. "calls=20" runs generated
// programs of about 20 calls on the fuzzer's machines (64M, the
// smallest the model boots); "boot" runs the same headers
// with no calls, the baseline: a fresh machine booted, checked and
// thrown away. Quote programs/s, and the ratio of the two ns/op.
// "fixed=100" runs the 64 100-call programs of testdata/bench100, which
// the generator of 2026-11 drew: generated programs change whenever the
// call table does, so only this case compares the model's speed across
// such a change.
func BenchmarkFuzzExec(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	cfg := FuzzConfig
	cfg.Kernel = "v3.16"
	progs := make([]*prog.Program, 64)
	for i := range progs {
		progs[i] = Sanitize(Generate(r, cfg))
	}
	c := newCampaign(CampaignConfig{Kernel: cfg.Kernel})
	run := func(b *testing.B, progs []*prog.Program) {
		i := 0
		for b.Loop() {
			res, feats := c.exec(progs[i%len(progs)])
			if res == nil || len(feats) == 0 {
				b.Fatalf("program did not run:\n%s", progs[i%len(progs)])
			}
			Check(res)
			release(res)
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "programs/s")
	}
	b.Run("boot", func(b *testing.B) {
		empty := make([]*prog.Program, len(progs))
		for i, p := range progs {
			empty[i] = &prog.Program{Header: p.Header}
		}
		run(b, empty)
	})
	b.Run("calls=20", func(b *testing.B) { run(b, progs) })
	cfg.Calls = 100
	long := make([]*prog.Program, len(progs))
	for i := range long {
		long[i] = Sanitize(Generate(r, cfg))
	}
	b.Run("calls=100", func(b *testing.B) { run(b, long) })
	files, err := filepath.Glob(filepath.Join("testdata", "bench100", "*.prog"))
	if err != nil || len(files) == 0 {
		b.Fatalf("testdata/bench100: %v", err)
	}
	fixed := make([]*prog.Program, len(files))
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if fixed[i], err = prog.Parse(f, data); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("fixed=100", func(b *testing.B) { run(b, fixed) })
}
