// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"pagesim/mm"
)

// Benchmarks of page reclaim, in host time. Every iteration boots a fresh
// 128 MiB machine and prepares it with the timer stopped; only the m.Run
// of the workload that forces reclaim is timed, kswapd's work included
// (Run returns once every user task has exited and kswapd is back asleep,
// so the /proc/vmstat deltas read afterwards cover exactly the timed
// run). Each finishes well under a second with -benchtime=1x, so CI may
// run them once as a smoke test.

// benchMachine boots the 128 MiB, two-CPU machine of the reclaim
// benchmarks, with an ext4 mount and swapBytes of swap (none if 0). It is
// called with the timer stopped.
func benchMachine(b *testing.B, swapBytes uint64) *Machine {
	b.Helper()
	cfg := DefaultConfig()
	cfg.MemBytes = 128 << 20
	cfg.SwapBytes = swapBytes
	cfg.Mounts = []MountSpec{{Type: "ext4", Path: "/mnt/ext4", SizeBytes: 1 << 30}}
	m, err := Boot(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// benchRun runs the machine until its tasks have exited and checks the
// run as the tests' finish does: no oops or internal error, no error from
// the workload (taskErr, which a task cannot report with b.Fatal itself),
// no data-integrity error. The invariants are checked by benchCheck, with
// the timer stopped.
func benchRun(b *testing.B, m *Machine, taskErr *error) {
	b.Helper()
	if res := m.Run(0); res.Failed() {
		b.Fatalf("run: %+v\n%s", res, m.Log.String())
	}
	if *taskErr != nil {
		b.Fatalf("workload: %v\n%s", *taskErr, m.Log.String())
	}
	if m.DataIntegrityErrors != 0 {
		b.Fatalf("%d data integrity errors:\n%s", m.DataIntegrityErrors, m.Log.String())
	}
}

// benchCheck checks the invariants; call it with the timer stopped.
func benchCheck(b *testing.B, m *Machine) {
	b.Helper()
	if errs := m.MM.CheckInvariants(); len(errs) > 0 {
		b.Fatalf("invariants: %v", errs)
	}
}

// vmstat reads /proc/vmstat into a map by name.
func vmstat(b *testing.B, m *Machine) map[string]uint64 {
	b.Helper()
	text, err := m.Proc("/proc/vmstat")
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]uint64{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			b.Fatalf("/proc/vmstat line %q", line)
		}
		v, err := strconv.ParseUint(val, 10, 64)
		if err != nil {
			b.Fatalf("/proc/vmstat line %q: %v", line, err)
		}
		out[name] = v
	}
	return out
}

// pgsteal sums the pgsteal_kswapd_* and pgsteal_direct_* counters: the
// pages reclaim freed, by kswapd and by direct reclaim, in every zone.
func pgsteal(vm map[string]uint64) uint64 {
	var n uint64
	for name, v := range vm {
		if strings.HasPrefix(name, "pgsteal_kswapd_") || strings.HasPrefix(name, "pgsteal_direct_") {
			n += v
		}
	}
	return n
}

// reportRate reports pages/s and ns/page for pages handled in the timed
// part of the benchmark.
func reportRate(b *testing.B, pages uint64) {
	ns := float64(b.Elapsed().Nanoseconds())
	b.ReportMetric(float64(pages)/(ns/1e9), "pages/s")
	b.ReportMetric(ns/float64(pages), "ns/page")
	b.ReportMetric(float64(pages)/float64(b.N), "pages/op")
}

// BenchmarkReclaimCleanPageCache measures the reclaim of clean page cache.
// Untimed: on a 128 MiB machine without swap, a process writes a 96 MiB
// ext4 file and fsyncs it, leaving the file's pages clean on the file LRU
// lists. Timed: a process faults in 64 MiB of anonymous memory, so that
// kswapd (balance_pgdat) and direct reclaim (try_to_free_pages) must free
// file pages for it: shrink_inactive_list and shrink_page_list on clean,
// unmapped page cache (__remove_mapping, no writeback), with
// shrink_active_list ageing the active file list; without swap
// get_scan_count never scans anon. pages/s and ns/page are per page
// reclaimed (the pgsteal_kswapd_* + pgsteal_direct_* deltas) in host time
// of the whole timed run, so they include the anonymous faults that drive
// reclaim (about as many as pages reclaimed).
func BenchmarkReclaimCleanPageCache(b *testing.B) {
	const fileSize, anonSize = 96 << 20, 64 << 20
	var pages uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		m := benchMachine(b, 0)
		var taskErr error
		m.Spawn("writer", func(p *Process) {
			fd, err := p.Open("/mnt/ext4/big", true)
			if err != nil {
				taskErr = err
				return
			}
			if n, err := p.Pwrite(fd, 0, fileSize, 1); err != nil || n != fileSize {
				taskErr = errOr(err, "short pwrite %d", n)
				return
			}
			if err := p.Fsync(fd, false); err != nil {
				taskErr = err
				return
			}
			taskErr = p.Close(fd)
		})
		benchRun(b, m, &taskErr)
		before := vmstat(b, m)
		m.Spawn("anon", func(p *Process) {
			addr, err := p.Mmap(anonSize, true)
			if err != nil {
				taskErr = err
				return
			}
			taskErr = p.Touch(addr, anonSize, 0, true, 2)
		})
		b.StartTimer()
		benchRun(b, m, &taskErr)
		b.StopTimer()
		after := vmstat(b, m)
		stolen := pgsteal(after) - pgsteal(before)
		if stolen == 0 {
			b.Fatalf("no page reclaimed:\n%s", m.Log.String())
		}
		if d := after["pswpout"] - before["pswpout"]; d != 0 {
			b.Fatalf("pswpout %d without swap", d)
		}
		pages += stolen
		benchCheck(b, m)
		m.Close()
		b.StartTimer()
	}
	b.StopTimer()
	reportRate(b, pages)
}

// BenchmarkReclaimAnonToSwap measures the reclaim of anonymous memory to
// swap. Timed: on a 128 MiB machine with 256 MiB of swap, a process writes
// 192 MiB of anonymous memory, so kswapd and direct reclaim must swap its
// pages out: shrink_active_list deactivating anon, shrink_page_list's
// add_to_swap, try_to_unmap, pageout to swap_writepage, and the second
// pass that frees the page once its write completes. pages/s and ns/page
// are per page swapped out (the pswpout delta) in host time of the whole
// timed run, the anonymous faults that drive reclaim included; the
// pgsteal delta must be nonzero too.
func BenchmarkReclaimAnonToSwap(b *testing.B) {
	const anonSize = 192 << 20
	var pages uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		m := benchMachine(b, 256<<20)
		before := vmstat(b, m)
		var taskErr error
		m.Spawn("hog", func(p *Process) {
			addr, err := p.Mmap(anonSize, true)
			if err != nil {
				taskErr = err
				return
			}
			taskErr = p.Touch(addr, anonSize, 0, true, 3)
		})
		b.StartTimer()
		benchRun(b, m, &taskErr)
		b.StopTimer()
		after := vmstat(b, m)
		swapped := after["pswpout"] - before["pswpout"]
		if swapped == 0 || pgsteal(after) == pgsteal(before) {
			b.Fatalf("pswpout delta %d, pgsteal delta %d: nothing reclaimed to swap", swapped, pgsteal(after)-pgsteal(before))
		}
		pages += swapped
		benchCheck(b, m)
		m.Close()
		b.StartTimer()
	}
	b.StopTimer()
	reportRate(b, pages)
}

// BenchmarkDirectReclaimFault measures the cost of a user page fault that
// enters direct reclaim: an anonymous write fault (handle_mm_fault,
// do_anonymous_page) whose page allocation falls to __alloc_pages_slowpath
// and __alloc_pages_direct_reclaim, that is try_to_free_pages and
// do_try_to_free_pages (which counts allocstall) shrinking the zones
// itself. Untimed: on a 128 MiB machine without swap, a process writes and
// fsyncs a 96 MiB ext4 file, so reclaim has clean page cache to free.
// Timed: a process faults in 64 MiB of anonymous memory one page at a
// time, taking the host time of each fault and whether allocstall rose
// during it. ns/fault is the mean host time of the faults that entered
// direct reclaim (any sleep in them lets other tasks, kswapd among them,
// run, and that host time is included); ns/anyfault is the mean over all
// the timed faults, for comparison; allocstalls/op and stalledfaults/op
// count the direct reclaim entries and the faults that had one. The
// benchmark fails if no fault entered direct reclaim.
func BenchmarkDirectReclaimFault(b *testing.B) {
	const fileSize, anonSize = 96 << 20, 64 << 20
	var stallNS, allNS time.Duration
	var stalledFaults, faults, stalls uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		m := benchMachine(b, 0)
		var taskErr error
		m.Spawn("writer", func(p *Process) {
			fd, err := p.Open("/mnt/ext4/big", true)
			if err != nil {
				taskErr = err
				return
			}
			if n, err := p.Pwrite(fd, 0, fileSize, 1); err != nil || n != fileSize {
				taskErr = errOr(err, "short pwrite %d", n)
				return
			}
			if err := p.Fsync(fd, false); err != nil {
				taskErr = err
				return
			}
			taskErr = p.Close(fd)
		})
		benchRun(b, m, &taskErr)
		before := vmstat(b, m)
		m.Spawn("faulter", func(p *Process) {
			addr, err := p.Mmap(anonSize, true)
			if err != nil {
				taskErr = err
				return
			}
			// The tasks run one at a time, so reading the counter
			// from the running task is safe.
			for a := addr; a < addr+anonSize; a += mm.PAGE_SIZE {
				s0 := m.MM.VMEvent(mm.ALLOCSTALL)
				t0 := time.Now()
				err := p.Touch(a, mm.PAGE_SIZE, 0, true, 4)
				dt := time.Since(t0)
				if err != nil {
					taskErr = err
					return
				}
				faults++
				allNS += dt
				if m.MM.VMEvent(mm.ALLOCSTALL) != s0 {
					stalledFaults++
					stallNS += dt
				}
			}
		})
		b.StartTimer()
		benchRun(b, m, &taskErr)
		b.StopTimer()
		after := vmstat(b, m)
		stalls += after["allocstall"] - before["allocstall"]
		if pgsteal(after) == pgsteal(before) {
			b.Fatalf("no page reclaimed:\n%s", m.Log.String())
		}
		benchCheck(b, m)
		m.Close()
		b.StartTimer()
	}
	b.StopTimer()
	if stalls == 0 || stalledFaults == 0 {
		b.Fatalf("allocstall delta %d, %d of %d faults stalled: no fault entered direct reclaim", stalls, stalledFaults, faults)
	}
	b.ReportMetric(float64(stallNS.Nanoseconds())/float64(stalledFaults), "ns/fault")
	b.ReportMetric(float64(allNS.Nanoseconds())/float64(faults), "ns/anyfault")
	b.ReportMetric(float64(stalls)/float64(b.N), "allocstalls/op")
	b.ReportMetric(float64(stalledFaults)/float64(b.N), "stalledfaults/op")
}

// errOr returns err, or if it is nil an error made of format and args.
func errOr(err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	return fmt.Errorf(format, args...)
}
