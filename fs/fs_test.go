// SPDX-License-Identifier: GPL-2.0-only

package fs_test

import (
	"fmt"
	"strings"
	"testing"

	"pagesim/fs"
	"pagesim/fs/ext4"
	"pagesim/fs/xfs"
	"pagesim/klog"
	"pagesim/mm"
	"pagesim/sim"
)

// machine is a booted test machine with an ext4 and an xfs mount.
type machine struct {
	s     *mm.System
	sched *sim.Scheduler
	log   *klog.Log
	f     *fs.FS
	ext4  *fs.SuperBlock
	xfs   *fs.SuperBlock
}

const devLatency = 2e6 // 2 ms per request

func boot(t testing.TB) *machine {
	t.Helper()
	clock := sim.NewClock()
	sched := sim.NewScheduler(clock, sim.NewRand(1), 2, sim.RoundRobin)
	var m *machine
	log := klog.New(klog.Config{Clock: clock.Now, NoStackWords: true, Current: func() (int, int, string) {
		if t := sched.Current(); t != nil {
			return t.CPU, t.PID, t.Comm
		}
		return 0, 0, "swapper/0"
	}})
	s, err := mm.Boot(mm.Config{MemBytes: 256 << 20, Nodes: 1, CPUs: 2}, mm.Env{Log: log, Sched: sched, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	f := fs.New(s, sched, log)
	e, _ := f.Mount(ext4.Type{}, "/ext4", 1<<30, devLatency)
	x, _ := f.Mount(xfs.Type{}, "/xfs", 1<<30, devLatency)
	m = &machine{s: s, sched: sched, log: log, f: f, ext4: e, xfs: x}
	t.Cleanup(func() { sched.Stop("test done") })
	return m
}

// run runs fn as a user task to completion.
func (m *machine) run(t *testing.T, fn func(task *sim.Task)) {
	t.Helper()
	m.sched.Spawn("test", 0, fn)
	if err := m.sched.Run(); err != nil {
		t.Fatal(err)
	}
}

func (m *machine) check(t *testing.T) {
	t.Helper()
	if errs := m.s.CheckInvariants(); len(errs) > 0 {
		t.Fatalf("invariants: %v", errs)
	}
}

// pageAt returns the cached page of a file at index.
func (m *machine) pageAt(t *testing.T, file *fs.File, index uint64) uint64 {
	t.Helper()
	pfn, ok := m.s.FindGetPage(file.Inode.Mapping, index)
	if !ok {
		t.Fatalf("no page cached at index %d", index)
	}
	m.s.PutPage(pfn)
	return pfn
}

// TestExt4WriteDelallocFlusherCleans checks ext4's delayed allocation: a
// write() leaves the page dirty (NR_FILE_DIRTY, the DIRTY tag) with a
// BH_Delay buffer and no block allocated; the flusher, once the data is
// older than dirty_expire_centisecs, allocates the block in ->writepages,
// writes it, and the page ends clean with no writeback pending.
func TestExt4WriteDelallocFlusherCleans(t *testing.T) {
	m := boot(t)
	var file *fs.File
	m.run(t, func(task *sim.Task) {
		file, _ = m.f.Open("/ext4/a", true)
		if n, err := m.f.Write(file, 0, 3*mm.PAGE_SIZE, 7, nil); err != nil || n != 3*mm.PAGE_SIZE {
			t.Fatalf("write = %d, %v", n, err)
		}
	})
	pfn := m.pageAt(t, file, 1)
	p := m.s.Page(pfn)
	bh := m.f.PageBuffers(pfn)
	if !p.PageDirty() || bh == nil || !bh.Test(fs.BH_Delay) || !bh.Test(fs.BH_Dirty) {
		t.Fatalf("after write: dirty %v, buffer %+v", p.PageDirty(), bh)
	}
	if len(file.Inode.Blocks) != 0 {
		t.Fatalf("delayed allocation allocated blocks at write(): %v", file.Inode.Blocks)
	}
	if got := m.s.GlobalPageState(mm.NR_FILE_DIRTY); got < 3 {
		// The counter may lag by the per-CPU deltas; a snapshot is
		// exact.
		m.s.RefreshCPUVMStats(0)
		m.s.RefreshCPUVMStats(1)
		if got = m.s.GlobalPageState(mm.NR_FILE_DIRTY); got != 3 {
			t.Fatalf("NR_FILE_DIRTY = %d, want 3", got)
		}
	}
	m.check(t)
	// 40 s of idle time: the 30 s expiry passes and a 5 s flusher
	// wake-up writes the inode.
	if err := m.sched.RunUntil(40e9); err != nil {
		t.Fatal(err)
	}
	if p.PageDirty() || p.PageWriteback() || bh.Test(fs.BH_Delay) || bh.Test(fs.BH_Dirty) {
		t.Fatalf("after the flusher: dirty %v writeback %v buffer state %#x", p.PageDirty(), p.PageWriteback(), bh.State)
	}
	if len(file.Inode.Blocks) != 3 || m.ext4.Dev.Writes != 3 {
		t.Fatalf("blocks %v, device writes %d", file.Inode.Blocks, m.ext4.Dev.Writes)
	}
	m.check(t)
}

// TestFsyncWaitsForWriteback checks that fsync returns only after the
// writeback it started has completed: every page clean, no PG_writeback,
// NR_WRITEBACK back to zero, and virtual time advanced by the device's
// time for the request: the 8 contiguous blocks, written under the plug
// of ext4_writepages or generic_writepages, merge into one request
// (v3.16 blk_attempt_plug_merge), which takes the latency of one block
// and the transfer of 7 more.
func TestFsyncWaitsForWriteback(t *testing.T) {
	for _, mp := range []string{"/ext4", "/xfs"} {
		t.Run(mp, func(t *testing.T) {
			m := boot(t)
			var file *fs.File
			var start, end int64
			m.run(t, func(task *sim.Task) {
				file, _ = m.f.Open(mp+"/f", true)
				m.f.Write(file, 0, 8*mm.PAGE_SIZE, 1, nil)
				start = task.Now()
				if err := m.f.Fsync(file, false); err != nil {
					t.Errorf("fsync: %v", err)
				}
				end = task.Now()
				for i := uint64(0); i < 8; i++ {
					pfn, _ := m.s.FindGetPage(file.Inode.Mapping, i)
					p := m.s.Page(pfn)
					if p.PageDirty() || p.PageWriteback() {
						t.Errorf("page %d after fsync: dirty %v writeback %v", i, p.PageDirty(), p.PageWriteback())
					}
					m.s.PutPage(pfn)
				}
			})
			if want := int64(devLatency + 7*fs.XferNS); end-start < want {
				t.Errorf("fsync took %d ns of virtual time, less than one 8-block request (%d ns)", end-start, want)
			}
			snap := int64(0)
			for _, z := range m.s.Zones() {
				if z.Present() > 0 {
					snap += z.ZonePageState(mm.NR_WRITEBACK)
				}
			}
			if snap != 0 {
				t.Errorf("NR_WRITEBACK %d after fsync", snap)
			}
			m.check(t)
		})
	}
}

// TestWritepageWarnRule checks the rule both filesystems state in v3.16:
// ->writepage warns (WARN_ON_ONCE) and redirties when called from direct
// reclaim, i.e. by a task with PF_MEMALLOC but not PF_KSWAPD; kswapd
// (PF_MEMALLOC|PF_KSWAPD) gets no warning; an ordinary task gets none.
func TestWritepageWarnRule(t *testing.T) {
	cases := []struct {
		name  string
		flags uint32
		warn  bool
	}{
		{"direct-reclaim", sim.PF_MEMALLOC, true},
		{"kswapd", sim.PF_MEMALLOC | sim.PF_KSWAPD, false},
		{"neither", 0, false},
	}
	for _, fsName := range []string{"ext4", "xfs"} {
		for _, tc := range cases {
			t.Run(fsName+"/"+tc.name, func(t *testing.T) {
				m := boot(t)
				var file *fs.File
				m.run(t, func(task *sim.Task) {
					file, _ = m.f.Open("/"+fsName+"/f", true)
					m.f.Write(file, 0, mm.PAGE_SIZE, 3, nil)
				})
				pfn := m.pageAt(t, file, 0)
				wbc := &mm.WritebackControl{SyncMode: mm.WB_SYNC_NONE, NrToWrite: 32, ForReclaim: true}
				m.run(t, func(task *sim.Task) {
					task.Flags |= tc.flags
					// pageout(): lock, clear the dirty bit for I/O,
					// ->writepage.
					m.s.LockPage(pfn)
					m.s.ClearPageDirtyForIO(pfn)
					file.Inode.Mapping.Ops.Writepage(m.s, pfn, wbc)
					task.Flags &^= tc.flags
				})
				log := m.log.String()
				site := map[string]string{"ext4": "fs/ext4/inode.c:1881 ext4_writepage+", "xfs": "fs/xfs/xfs_aops.c:971 xfs_vm_writepage+"}[fsName]
				if got := strings.Contains(log, "WARNING: CPU: ") && strings.Contains(log, site); got != tc.warn {
					t.Fatalf("warning fired: %v, want %v\n%s", got, tc.warn, log)
				}
				p := m.s.Page(pfn)
				// ext4 cannot allocate delayed blocks in ->writepage and
				// redirties for any PF_MEMALLOC caller; xfs refuses only
				// direct reclaim and lets kswapd write.
				if (fsName == "ext4" && tc.flags&sim.PF_MEMALLOC != 0) || tc.warn {
					if !p.PageDirty() || p.PageWriteback() {
						t.Fatalf("reclaim writepage: dirty %v writeback %v, want redirtied", p.PageDirty(), p.PageWriteback())
					}
				}
				if err := m.sched.RunUntil(m.sched.Now() + 1e9); err != nil {
					t.Fatal(err)
				}
				m.check(t)
			})
		}
	}
}

// TestDataSurvivesDiskRoundTrip writes whole and partial pages, fsyncs,
// drops the clean pages from the cache (invalidate_mapping_pages, as
// drop_caches does), and reads back from disk: each page must hold what
// was written, partial writes included.
func TestDataSurvivesDiskRoundTrip(t *testing.T) {
	for _, mp := range []string{"/ext4", "/xfs"} {
		t.Run(mp, func(t *testing.T) {
			m := boot(t)
			m.run(t, func(task *sim.Task) {
				file, _ := m.f.Open(mp+"/d", true)
				shadow := map[uint64]uint64{}
				write := func(pos, n int64, tok uint64) {
					m.f.Write(file, pos, n, tok, nil)
					for idx := uint64(pos) >> mm.PAGE_SHIFT; idx <= uint64(pos+n-1)>>mm.PAGE_SHIFT; idx++ {
						shadow[idx] = mm.MixToken(shadow[idx], tok)
					}
				}
				write(0, 4*mm.PAGE_SIZE, 11)
				write(100, 50, 12)                // partial, in cache
				write(5*mm.PAGE_SIZE+10, 100, 13) // partial, new page past a hole
				m.f.Fsync(file, false)
				m.s.LRUAddDrainAll()
				dropped := m.s.InvalidateMappingPages(file.Inode.Mapping, 0, ^uint64(0))
				if dropped == 0 {
					t.Errorf("nothing dropped from the cache")
				}
				toks, err := m.f.Read(file, 0, file.Inode.ISize())
				if err != nil {
					t.Fatal(err)
				}
				for i, r := range toks {
					if r.Index != uint64(i) || r.Data != shadow[r.Index] {
						t.Errorf("copy %d: page %d reads %#x, wrote %#x", i, r.Index, r.Data, shadow[r.Index])
					}
				}
				// A partial write to a page that is on disk but not
				// cached reads it first (__block_write_begin).
				m.s.InvalidateMappingPages(file.Inode.Mapping, 0, ^uint64(0))
				write(2*mm.PAGE_SIZE+7, 9, 14)
				toks, _ = m.f.Read(file, 2*mm.PAGE_SIZE, 1)
				if len(toks) != 1 || toks[0] != (mm.PageRead{Index: 2, Data: shadow[2], Len: 1}) {
					t.Errorf("read-modify-write page reads %v, want %#x", toks, shadow[2])
				}
			})
			m.check(t)
		})
	}
}

// TestTruncateRemovesPages checks truncate_inode_pages_range(): pages past
// the new size leave the page cache (NR_FILE_PAGES and NR_FILE_DIRTY drop,
// the frames are freed), the page the new size cuts keeps its head.
func TestTruncateRemovesPages(t *testing.T) {
	m := boot(t)
	var file *fs.File
	m.run(t, func(task *sim.Task) {
		file, _ = m.f.Open("/ext4/t", true)
		m.f.Write(file, 0, 10*mm.PAGE_SIZE, 5, nil)
		m.s.LRUAddDrainAll()
		if _, err := m.f.Truncate(file, 3*mm.PAGE_SIZE+100, nil); err != nil {
			t.Fatal(err)
		}
	})
	if n := file.Inode.Mapping.NrPages(); n != 4 {
		t.Fatalf("nrpages after truncate to 3 pages + 100 bytes: %d, want 4", n)
	}
	m.check(t)
	m.run(t, func(task *sim.Task) {
		m.f.Close(file)
		m.f.Unlink("/ext4/t")
	})
	if n := file.Inode.Mapping.NrPages(); n != 0 {
		t.Fatalf("nrpages after unlink of a closed file: %d", n)
	}
	m.check(t)
}

// TestReadaheadWindow checks on-demand readahead: the first read of a file
// reads an initial window ahead with PG_readahead on its async mark, and
// reading sequentially through the mark starts the next window.
func TestReadaheadWindow(t *testing.T) {
	m := boot(t)
	m.run(t, func(task *sim.Task) {
		file, _ := m.f.Open("/xfs/r", true)
		m.f.Write(file, 0, 64*mm.PAGE_SIZE, 9, nil)
		m.f.Fsync(file, false)
		m.s.LRUAddDrainAll()
		m.s.InvalidateMappingPages(file.Inode.Mapping, 0, ^uint64(0))
		if file.Inode.Mapping.NrPages() != 0 {
			t.Fatalf("%d pages still cached", file.Inode.Mapping.NrPages())
		}
		file.RA = mm.NewFileRAState()
		m.f.Read(file, 0, mm.PAGE_SIZE)
		// get_init_ra_size(1, 32) = 4 pages, async_size 3.
		if n := file.Inode.Mapping.NrPages(); n != 4 {
			t.Fatalf("first 1-page read cached %d pages, want the initial window of 4", n)
		}
		for i := int64(1); i < 8; i++ {
			m.f.Read(file, i*mm.PAGE_SIZE, mm.PAGE_SIZE)
		}
		if n := file.Inode.Mapping.NrPages(); n <= 8 {
			t.Fatalf("sequential reads of 8 pages cached only %d: no async readahead", n)
		}
	})
	m.check(t)
}

// TestDirtyThrottling checks balance_dirty_pages' thresholds: a task that
// keeps dirtying pages past the dirty limit wakes the flusher for
// background writeback and is made to sleep, so dirty pages stay bounded
// near the limit instead of growing with the write.
func TestDirtyThrottling(t *testing.T) {
	m := boot(t)
	var slept int64
	m.run(t, func(task *sim.Task) {
		file, _ := m.f.Open("/xfs/big", true)
		start := task.Now()
		// 128 MiB into a 256 MiB machine: far over dirty_ratio (20%).
		for i := int64(0); i < 32768; i++ {
			m.f.Write(file, i*mm.PAGE_SIZE, mm.PAGE_SIZE, uint64(i), nil)
		}
		slept = task.Now() - start
	})
	_, limit := m.s.GlobalDirtyLimits()
	dirty := uint64(m.s.GlobalPageStateSnapshot(mm.NR_FILE_DIRTY) + m.s.GlobalPageStateSnapshot(mm.NR_WRITEBACK))
	if dirty > limit+limit/8 {
		t.Errorf("dirty+writeback %d pages after the write, dirty limit %d: the writer was not throttled", dirty, limit)
	}
	if m.xfs.Dev.Writes == 0 {
		t.Errorf("the flusher wrote nothing during a write far over the background threshold")
	}
	if slept < 200e6 {
		t.Errorf("the writer spent %d ns: it never slept in balance_dirty_pages", slept)
	}
	m.check(t)
}

// TestWritebackUnlocksEveryBuffer checks end_buffer_async_write's part of
// writeback: once fsync has returned, no buffer of the file is still
// locked or marked for async write, so try_to_free_buffers (and with it
// reclaim and invalidate) can drop them all. The file is big enough that
// background writeback starts while it is being written, so buffer heads
// are created while earlier writes are still in flight.
func TestWritebackUnlocksEveryBuffer(t *testing.T) {
	for _, mp := range []string{"/ext4", "/xfs"} {
		t.Run(mp, func(t *testing.T) {
			m := boot(t)
			const n = 16384
			m.run(t, func(task *sim.Task) {
				file, _ := m.f.Open(mp+"/f", true)
				for i := int64(0); i < n; i += 256 {
					m.f.Write(file, i*mm.PAGE_SIZE, 256*mm.PAGE_SIZE, 1, nil)
				}
				if err := m.f.Fsync(file, false); err != nil {
					t.Errorf("fsync: %v", err)
				}
				locked := 0
				for i := uint64(0); i < n; i++ {
					pfn, ok := m.s.FindGetPage(file.Inode.Mapping, i)
					if !ok {
						continue
					}
					if bh := m.f.PageBuffers(pfn); bh != nil && (bh.Test(fs.BH_Lock) || bh.Test(fs.BH_Async_Write)) {
						locked++
					}
					m.s.PutPage(pfn)
				}
				if locked != 0 {
					t.Errorf("%d of %d pages keep a locked buffer after fsync", locked, n)
				}
				if got := m.s.InvalidateMappingPages(file.Inode.Mapping, 0, ^uint64(0)); got != n {
					t.Errorf("invalidate_mapping_pages freed %d of %d clean pages", got, n)
				}
			})
			m.check(t)
		})
	}
}

// TestBioAccounting checks submit_bio's vmstat accounting for file I/O:
// each page written back counts in pgpgout and each page read from the
// disk in pgpgin (in KiB, as /proc/vmstat prints them).
func TestBioAccounting(t *testing.T) {
	m := boot(t)
	const n = 64
	var file *fs.File
	m.run(t, func(task *sim.Task) {
		file, _ = m.f.Open("/ext4/io", true)
		m.f.Write(file, 0, n*mm.PAGE_SIZE, 3, nil)
		if err := m.f.Fsync(file, false); err != nil {
			t.Error(err)
		}
		m.s.LRUAddDrainAll()
		m.s.InvalidateMappingPages(file.Inode.Mapping, 0, ^uint64(0))
		m.f.Read(file, 0, n*mm.PAGE_SIZE)
	})
	vm, _ := m.s.ReadProc("/proc/vmstat")
	for _, want := range []string{fmt.Sprintf("pgpgout %d\n", n*4), fmt.Sprintf("pgpgin %d\n", n*4)} {
		if !strings.Contains(vm, want) {
			t.Errorf("want %q in /proc/vmstat:\n%s", want, vm)
		}
	}
}

// TestWakeupFlusherThreadsBelowBackgroundThreshold checks v3.16
// fs/fs-writeback.c wakeup_flusher_threads: it queues WB_SYNC_NONE work
// for nr_pages on every device with dirty inodes, and wb_writeback stops
// at the background threshold only for background work, so dirty data far
// below the threshold is written at once (not after the 30 s expiry).
// writeback_chunk_size gives each inode at least MIN_WRITEBACK_PAGES, so
// work for one page writes all 256 of a 1M file. A device with no dirty
// inode gets no work.
func TestWakeupFlusherThreadsBelowBackgroundThreshold(t *testing.T) {
	m := boot(t)
	var file *fs.File
	m.run(t, func(task *sim.Task) {
		file, _ = m.f.Open("/ext4/a", true)
		if n, err := m.f.Write(file, 0, 256*mm.PAGE_SIZE, 7, nil); err != nil || n != 256*mm.PAGE_SIZE {
			t.Fatalf("write = %d, %v", n, err)
		}
	})
	m.run(t, func(task *sim.Task) {
		m.f.WakeupFlusherThreads(1, mm.WB_REASON_TRY_TO_FREE_PAGES)
	})
	// 1 s: far less than the 30 s expiry; enough for 256 requests of 2 ms.
	if err := m.sched.RunUntil(m.sched.Now() + 1e9); err != nil {
		t.Fatal(err)
	}
	if got := m.ext4.Dev.Writes; got != 256 {
		t.Fatalf("ext4 device writes = %d, want 256", got)
	}
	if got := m.xfs.Dev.Writes; got != 0 {
		t.Fatalf("xfs device (no dirty inode) writes = %d, want 0", got)
	}
	if m.s.MappingTagged(file.Inode.Mapping, mm.PAGECACHE_TAG_DIRTY) {
		t.Fatal("pages still tagged dirty")
	}
	m.check(t)
}

// kswapdWritepage runs ->writepage on file page pfn as kswapd's pageout()
// does: lock it, clear its dirty bit for I/O, call ->writepage.
func (m *machine) kswapdWritepage(t *testing.T, file *fs.File, pfn uint64) *mm.WritebackControl {
	t.Helper()
	wbc := &mm.WritebackControl{SyncMode: mm.WB_SYNC_NONE, NrToWrite: 32, ForReclaim: true}
	m.run(t, func(task *sim.Task) {
		task.Flags |= sim.PF_MEMALLOC | sim.PF_KSWAPD
		m.s.LockPage(pfn)
		m.s.ClearPageDirtyForIO(pfn)
		file.Inode.Mapping.Ops.Writepage(m.s, pfn, wbc)
		task.Flags &^= sim.PF_MEMALLOC | sim.PF_KSWAPD
	})
	return wbc
}

// TestXfsWritepageBeyondEOFRedirties checks v3.16 fs/xfs/xfs_aops.c
// xfs_vm_writepage: a page wholly beyond i_size (index past EOF's page, or
// at it when i_size is page aligned: a truncate is under way) goes to
// redirty: redirty_page_for_writepage (dirty again, pages_skipped counted),
// unlock_page, return 0, so that reclaim does not free it. Nothing is
// written.
func TestXfsWritepageBeyondEOFRedirties(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int64
	}{
		{"past-eof-page", mm.PAGE_SIZE / 2},
		{"at-aligned-eof", mm.PAGE_SIZE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := boot(t)
			var file *fs.File
			m.run(t, func(task *sim.Task) {
				file, _ = m.f.Open("/xfs/f", true)
				m.f.Write(file, 0, 2*mm.PAGE_SIZE, 3, nil)
			})
			pfn := m.pageAt(t, file, 1)
			// truncate's i_size_write, before truncate_pagecache.
			file.Inode.SetISize(tc.size)
			wbc := m.kswapdWritepage(t, file, pfn)
			p := m.s.Page(pfn)
			if !p.PageDirty() || p.PageWriteback() || p.PageLocked() || wbc.PagesSkipped != 1 {
				t.Fatalf("dirty %v writeback %v locked %v pages_skipped %d, want redirtied, unlocked, 1 skipped",
					p.PageDirty(), p.PageWriteback(), p.PageLocked(), wbc.PagesSkipped)
			}
			if m.xfs.Dev.Writes != 0 {
				t.Fatalf("device writes %d, want 0", m.xfs.Dev.Writes)
			}
		})
	}
}

// TestWritepageZeroesPastEOF checks v3.16's rule for the page that
// straddles EOF, in xfs_vm_writepage (zero_user_segment(page,
// offset_into_page, PAGE_CACHE_SIZE)) and ext4_writepage
// (ext4_bio_write_page zeroes from len = size & ~PAGE_CACHE_MASK): what a
// shared mapping wrote past EOF is zeroed before the page is written, so
// the page and the disk hold the zeroed contents. A page whose part past
// EOF was never written through a mapping holds zeroes there, and its
// contents do not change.
func TestWritepageZeroesPastEOF(t *testing.T) {
	for _, fsName := range []string{"ext4", "xfs"} {
		t.Run(fsName, func(t *testing.T) {
			m := boot(t)
			var file *fs.File
			m.run(t, func(task *sim.Task) {
				file, _ = m.f.Open("/"+fsName+"/f", true)
				m.f.Write(file, 0, 100, 3, nil)
			})
			pfn := m.pageAt(t, file, 0)
			p := m.s.Page(pfn)
			before := p.Data()
			m.kswapdWritepage(t, file, pfn)
			if p.Data() != before {
				t.Fatalf("a page with zeroes past EOF changed from %#x to %#x", before, p.Data())
			}
			if err := m.sched.RunUntil(m.sched.Now() + 1e8); err != nil {
				t.Fatal(err)
			}
			// A shared mapping writes the whole page (page_mkwrite, then
			// the store), past EOF too.
			m.run(t, func(task *sim.Task) {
				if r := file.Inode.Mapping.Ops.(mm.PageMkwriteOp).PageMkwrite(m.s, nil, pfn); r != mm.VM_FAULT_LOCKED {
					t.Fatalf("page_mkwrite = %#x", r)
				}
				p.SetData(77)
				m.s.UnlockPage(pfn)
			})
			var zeroed []string
			m.f.Zeroed = func(ino *fs.Inode, index uint64, from, to int64) {
				zeroed = append(zeroed, fmt.Sprintf("%d:%d[%d,%d)", ino.Ino(), index, from, to))
			}
			if fsName == "ext4" {
				// ext4_writepage cannot allocate: let the flusher's
				// ->writepages map the block first.
				m.run(t, func(task *sim.Task) { m.f.Fsync(file, false) })
			} else {
				m.kswapdWritepage(t, file, pfn)
			}
			want := mm.ZeroSegmentToken(77, 100, mm.PAGE_SIZE)
			if p.Data() != want {
				t.Fatalf("page holds %#x after writepage, want %#x (zeroed past EOF)", p.Data(), want)
			}
			if w := fmt.Sprintf("%d:0[100,4096)", file.Inode.Ino()); len(zeroed) != 1 || zeroed[0] != w {
				t.Fatalf("FS.Zeroed told %v, want [%s]", zeroed, w)
			}
			m.check(t)
		})
	}
}

// TestExt4WritepageDelayedCleanBufferNotRedirtied checks v3.16
// fs/ext4/inode.c ext4_bh_delay_or_unwritten: only a buffer that is dirty
// as well as delayed (or unwritten) makes ext4_writepage redirty the page.
// A page whose delayed buffer is clean goes on to ext4_bio_write_page,
// which submits nothing for it and ends the page's writeback at once.
func TestExt4WritepageDelayedCleanBufferNotRedirtied(t *testing.T) {
	m := boot(t)
	var file *fs.File
	m.run(t, func(task *sim.Task) {
		file, _ = m.f.Open("/ext4/f", true)
		m.f.Write(file, 0, mm.PAGE_SIZE, 3, nil)
	})
	pfn := m.pageAt(t, file, 0)
	bh := m.f.PageBuffers(pfn)
	bh.Clear(fs.BH_Dirty)
	wbc := m.kswapdWritepage(t, file, pfn)
	p := m.s.Page(pfn)
	if p.PageDirty() || p.PageWriteback() || wbc.PagesSkipped != 0 || m.ext4.Dev.Writes != 0 {
		t.Fatalf("dirty %v writeback %v pages_skipped %d writes %d, want clean, not skipped, nothing written",
			p.PageDirty(), p.PageWriteback(), wbc.PagesSkipped, m.ext4.Dev.Writes)
	}
	if !bh.Test(fs.BH_Delay) {
		t.Fatal("the reservation was dropped")
	}
}

// TestXfsWritepageWritesCleanMappedBuffer checks v3.16
// fs/xfs/xfs_aops.c xfs_vm_writepage's buffer loop: a mapped, uptodate
// buffer is added to the ioend (XFS_IO_OVERWRITE) whether or not it is
// dirty; xfs_submit_ioend writes it.
func TestXfsWritepageWritesCleanMappedBuffer(t *testing.T) {
	m := boot(t)
	var file *fs.File
	m.run(t, func(task *sim.Task) {
		file, _ = m.f.Open("/xfs/f", true)
		m.f.Write(file, 0, mm.PAGE_SIZE, 3, nil)
		m.f.Fsync(file, false)
	})
	pfn := m.pageAt(t, file, 0)
	writes := m.xfs.Dev.Writes
	m.s.SetPageDirtyNobuffers(pfn) // the page dirty, its buffer not
	if bh := m.f.PageBuffers(pfn); bh == nil || bh.Test(fs.BH_Dirty) || !bh.Test(fs.BH_Mapped) {
		t.Fatalf("buffer %+v, want mapped and clean", bh)
	}
	m.kswapdWritepage(t, file, pfn)
	if err := m.sched.RunUntil(m.sched.Now() + 1e8); err != nil {
		t.Fatal(err)
	}
	if got := m.xfs.Dev.Writes - writes; got != 1 {
		t.Fatalf("device writes %d, want 1", got)
	}
}

// TestXfsReleasepageRefusesDelalloc checks v3.16 fs/xfs/xfs_aops.c
// xfs_vm_releasepage: a page with a delayed-allocation buffer is not
// released, with a WARN_ON_ONCE at fs/xfs/xfs_aops.c:1228.
func TestXfsReleasepageRefusesDelalloc(t *testing.T) {
	m := boot(t)
	var file *fs.File
	m.run(t, func(task *sim.Task) {
		file, _ = m.f.Open("/xfs/f", true)
		m.f.Write(file, 0, mm.PAGE_SIZE, 3, nil)
	})
	pfn := m.pageAt(t, file, 0)
	bh := m.f.PageBuffers(pfn)
	bh.Clear(fs.BH_Dirty) // a clean page whose block is still delayed
	var released bool
	m.run(t, func(task *sim.Task) {
		released = file.Inode.Mapping.Ops.(interface {
			ReleasePage(*mm.System, uint64, mm.GFP) bool
		}).ReleasePage(m.s, pfn, 0)
	})
	if released || m.f.PageBuffers(pfn) == nil {
		t.Fatal("the page's delayed buffer was released")
	}
	if log := m.log.String(); !strings.Contains(log, "fs/xfs/xfs_aops.c:1228 xfs_vm_releasepage+") {
		t.Fatalf("no warning at fs/xfs/xfs_aops.c:1228:\n%s", log)
	}
}

// TestInodeRedirtiedDuringWritebackListedOnce checks v3.16
// fs/fs-writeback.c __writeback_single_inode and __mark_inode_dirty: the
// flusher clears I_DIRTY_PAGES only after ->writepages, and an inode it is
// writing (I_SYNC) is not put on a list by __mark_inode_dirty (the
// flusher's requeue_inode places it), so a file dirtied again while the
// flusher writes it is on the writeback lists once, not twice.
func TestInodeRedirtiedDuringWritebackListedOnce(t *testing.T) {
	m := boot(t)
	var file *fs.File
	m.run(t, func(task *sim.Task) {
		file, _ = m.f.Open("/ext4/a", true)
		m.f.Write(file, 0, 8*mm.PAGE_SIZE, 7, nil)
		m.f.WakeupFlusherThreads(0, mm.WB_REASON_SYNC)
	})
	if err := m.sched.RunUntil(m.sched.Now() + 1e8); err != nil {
		t.Fatal(err)
	}
	// Dirty again, the size unchanged: only I_DIRTY_PAGES.
	m.run(t, func(task *sim.Task) { m.f.Write(file, 0, 8*mm.PAGE_SIZE, 8, nil) })
	pfn5 := m.pageAt(t, file, 5)
	m.run(t, func(task *sim.Task) {
		// The flusher writes pages 0-4, then waits for page 5's lock.
		m.s.LockPage(pfn5)
		m.f.WakeupFlusherThreads(0, mm.WB_REASON_SYNC)
		task.Sleep(1e7)
		if m.s.Page(m.pageAt(t, file, 0)).PageDirty() {
			t.Fatal("the flusher has not written page 0")
		}
		// v3.16 keeps the inode on b_io while writing it: the device
		// still has dirty IO (wb_has_dirty_io).
		if !m.ext4.BDI.Flusher.HasDirtyIO() {
			t.Fatal("no dirty IO while the flusher writes the inode")
		}
		m.f.Write(file, 0, mm.PAGE_SIZE, 9, nil)
		m.s.UnlockPage(pfn5)
	})
	if err := m.sched.RunUntil(m.sched.Now() + 1e8); err != nil {
		t.Fatal(err)
	}
	if n := m.ext4.BDI.Flusher.NrDirtyInodes(); n != 1 {
		t.Fatalf("the one dirty inode is on the writeback lists %d times", n)
	}
	m.check(t)
}

// TestExt4WritepagesNoBlockPastEOF checks v3.16 fs/ext4/inode.c
// mpage_process_page_bufs: ext4_writepages maps (allocates) delayed
// blocks only below EOF (lblk < blocks); a dirty page past EOF, left by a
// truncate under way, is submitted without a block, and its reservation
// stays for the truncate to release.
func TestExt4WritepagesNoBlockPastEOF(t *testing.T) {
	m := boot(t)
	var file *fs.File
	m.run(t, func(task *sim.Task) {
		file, _ = m.f.Open("/ext4/f", true)
		m.f.Write(file, 0, 2*mm.PAGE_SIZE, 3, nil)
	})
	pfn1 := m.pageAt(t, file, 1)
	file.Inode.SetISize(mm.PAGE_SIZE) // truncate's i_size_write
	m.run(t, func(task *sim.Task) { m.f.Fsync(file, false) })
	if _, ok := file.Inode.Blocks[0]; !ok {
		t.Fatal("page 0 got no block")
	}
	if blk, ok := file.Inode.Blocks[1]; ok {
		t.Fatalf("page 1, past EOF, got block %d", blk)
	}
	if bh := m.f.PageBuffers(pfn1); bh == nil || !bh.Test(fs.BH_Delay) {
		t.Fatalf("page 1's buffer %+v, want still delayed", bh)
	}
}

// TestKupdateTimerFollowsFirstDirtying checks v3.16's flusher timer
// (fs/fs-writeback.c __mark_inode_dirty, bdi_wakeup_thread_delayed,
// bdi_writeback_workfn): the first inode dirtied on a clean device queues
// the worker dirty_writeback_interval (5 s) later, and while inodes stay
// dirty each run queues the next 5 s after it. A page dirtied at 1 s is
// thus written by the kupdate run at 31 s (6 runs later, once it is 30 s
// old), not on a 5 s grid counted from boot (35 s). No run before does
// background writeback: the global count is far below the background
// threshold, and over_bground_thresh's per-bdi test reads bdi_stat, the
// folded count of the percpu_counter BDI_RECLAIMABLE, in which the one
// page is not (it stays in the writer CPU's delta, below BDI_STAT_BATCH,
// 16 on 2 CPUs): 0 pages is not above the device's share, 0 as well
// without writeout completions (TestBackgroundFlushReadsBdiStat).
func TestKupdateTimerFollowsFirstDirtying(t *testing.T) {
	m := boot(t)
	if err := m.sched.RunUntil(1e9); err != nil {
		t.Fatal(err)
	}
	var file *fs.File
	m.run(t, func(task *sim.Task) {
		file, _ = m.f.Open("/ext4/a", true)
		m.f.Write(file, 0, mm.PAGE_SIZE, 7, nil)
	})
	p := m.s.Page(m.pageAt(t, file, 0))
	if err := m.sched.RunUntil(30.9e9); err != nil {
		t.Fatal(err)
	}
	if !p.PageDirty() {
		t.Fatal("written before it was 30 s old")
	}
	if err := m.sched.RunUntil(31.5e9); err != nil {
		t.Fatal(err)
	}
	if p.PageDirty() || m.ext4.Dev.Writes != 1 {
		t.Fatalf("at 31.5 s: dirty %v, device writes %d; want written by the run at 31 s", p.PageDirty(), m.ext4.Dev.Writes)
	}
}

// TestBackgroundFlushReadsBdiStat checks v3.16 fs/fs-writeback.c
// over_bground_thresh on a device without writeout completions, whose
// share of the background threshold (bdi_dirty_limit) is 0: its
// BDI_RECLAIMABLE, as bdi_stat reads it, is above 0 once a CPU's delta
// has reached BDI_STAT_BATCH (16 on 2 CPUs) and been folded into the
// count (__add_bdi_stat). 15 pages dirtied by one task at 1 s stay in
// that CPU's delta: the first worker run (6 s) leaves them to kupdate. 16
// are folded: that run writes them by background writeback, though the
// global count is far below the background threshold.
func TestBackgroundFlushReadsBdiStat(t *testing.T) {
	for _, tc := range []struct {
		pages   int
		written uint64
	}{{15, 0}, {16, 16}} {
		m := boot(t)
		if err := m.sched.RunUntil(1e9); err != nil {
			t.Fatal(err)
		}
		m.run(t, func(task *sim.Task) {
			file, _ := m.f.Open("/ext4/a", true)
			m.f.Write(file, 0, int64(tc.pages)*mm.PAGE_SIZE, 7, nil)
		})
		bdi := m.ext4.BDI
		if got := bdi.BdiStat(mm.BDI_RECLAIMABLE); got != int64(tc.written) {
			t.Errorf("%d pages dirtied on one CPU: bdi_stat(BDI_RECLAIMABLE) %d, want %d", tc.pages, got, tc.written)
		}
		if err := m.sched.RunUntil(5.9e9); err != nil {
			t.Fatal(err)
		}
		if m.ext4.Dev.Writes != 0 {
			t.Fatalf("%d pages dirty: %d written before the first worker run", tc.pages, m.ext4.Dev.Writes)
		}
		if err := m.sched.RunUntil(6.5e9); err != nil {
			t.Fatal(err)
		}
		bg, _ := m.s.GlobalDirtyLimits()
		if d := m.s.GlobalPageState(mm.NR_FILE_DIRTY); uint64(d) >= bg {
			t.Errorf("%d pages dirty, want below the background threshold %d", d, bg)
		}
		if m.ext4.Dev.Writes != tc.written {
			t.Errorf("%d pages dirty on a device without completions: %d written by the first worker run (6 s), want %d",
				tc.pages, m.ext4.Dev.Writes, tc.written)
		}
	}
}

// TestReadAtEOFInstantiatesPage checks v3.16 mm/filemap.c
// do_generic_file_read for a read at or past i_size (generic_file_read_iter
// checks no size first): the page is not cached, readahead reads nothing
// past EOF, so no_cached_page allocates it, adds it to the page cache and
// reads it; only then does page_ok find index > end_index and return 0. A
// read past EOF thus leaves a page in the cache (tmpfs's
// shmem_file_read_iter checks i_size first and leaves none).
func TestReadAtEOFInstantiatesPage(t *testing.T) {
	m := boot(t)
	m.run(t, func(task *sim.Task) {
		for _, tc := range []struct {
			path string
			want uint64
		}{{"/ext4/eof", 1}, {"/xfs/eof", 1}} {
			file, err := m.f.Open(tc.path, true)
			if err != nil {
				t.Fatal(err)
			}
			toks, err := m.f.Read(file, 0, mm.PAGE_SIZE)
			if len(toks) != 0 || err != nil {
				t.Errorf("%s: read of an empty file copied %v, %v", tc.path, toks, err)
			}
			if n := file.Inode.Mapping.NrPages(); n != tc.want {
				t.Errorf("%s: %d pages cached after a read at EOF, want %d", tc.path, n, tc.want)
			}
		}
	})
	m.check(t)
}
