// SPDX-License-Identifier: GPL-2.0-only

package fs_test

import (
	"testing"

	"pagesim/mm"
	"pagesim/sim"
)

// BenchmarkWritePageCache measures write() of one page into the page
// cache of an ext4 file (ext4_da_write_begin, the delayed reservation,
// generic_write_end, dirty accounting), rewriting a 4 MiB file so the cache
// does not grow; quote it against mm's BenchmarkBaselinePool4KiB.
func BenchmarkWritePageCache(b *testing.B) {
	m := boot(b)
	b.ResetTimer()
	m.sched.Spawn("bench", 0, func(task *sim.Task) {
		file, _ := m.f.Open("/ext4/bench", true)
		for i := 0; i < b.N; i++ {
			pos := int64(i%1024) * mm.PAGE_SIZE
			if _, err := m.f.Write(file, pos, mm.PAGE_SIZE, uint64(i), nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if err := m.sched.Run(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	m.sched.Stop("done")
}
