// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"testing"

	"pagesim/mm"
)

// BenchmarkBenchSim runs the simulator half of "pagesim bench" with its
// defaults (boot a 1 GiB machine, then a process that faults in 256 MiB
// of anonymous memory and exits) so that it can be profiled with
// -cpuprofile. The reported run-ns/fault is the run's host time per
// fault, the reciprocal of the rate "pagesim bench" prints (ns/op also
// counts the boot); quote it against mm's BenchmarkBaselinePool4KiB.
//
// default.pgo, the profile the command is built with, is this benchmark's
// CPU profile (README: how to regenerate it).
func BenchmarkBenchSim(b *testing.B) {
	const mem, size = 1 << 30, 256 << 20 // the bench defaults
	var total float64
	for b.Loop() {
		d, faults, err := benchSim(mem, size)
		if err != nil {
			b.Fatal(err)
		}
		if faults != size/mm.PAGE_SIZE {
			b.Fatalf("%d faults, want %d", faults, size/mm.PAGE_SIZE)
		}
		total += float64(d.Nanoseconds()) / float64(faults)
	}
	b.ReportMetric(total/float64(b.N), "run-ns/fault")
}
