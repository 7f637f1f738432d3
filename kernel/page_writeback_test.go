// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"regexp"
	"strings"
	"testing"

	"pagesim/mm"
	"pagesim/sim"
)

// bootTwoDisks boots a 64 MiB machine with ext4 on a disk of the given
// latency per request and xfs on a fast one.
func bootTwoDisks(t *testing.T, ext4Latency int64) *Machine {
	t.Helper()
	cfg := DefaultConfig()
	cfg.MemBytes = 64 << 20
	cfg.Policy, cfg.Seed = sim.RoundRobin, 1
	cfg.Mounts = []MountSpec{
		{Type: "ext4", Path: "/mnt/ext4", SizeBytes: 256 << 20, LatencyNS: ext4Latency},
		{Type: "xfs", Path: "/mnt/xfs", SizeBytes: 256 << 20, LatencyNS: 100e3},
	}
	m, err := Boot(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// TestDirtyThrottlePerBDI checks v3.16 mm/page-writeback.c
// balance_dirty_pages: a task is throttled by its own bdi (bdi_dirty_limits,
// bdi_position_ratio, bdi_max_pause), not by the global dirty count alone.
// Here ext4 holds 1 MiB of dirty pages, the whole vm.dirty_bytes limit,
// that no one writes back (periodic writeback is off and no ext4 writer
// is left; the hung task of hung-dirty-writeback-off.txtar). A task writing 4 MiB
// to xfs finds global dirty at the hard limit (pos_ratio 0) each time, but
// its pause is bdi_max_pause of its own bdi's few dirty pages (a jiffy or
// two), and it leaves the loop once its bdi holds no more than
// bdi_stat_error pages: it keeps going while ext4's pages stay dirty.
func TestDirtyThrottlePerBDI(t *testing.T) {
	m := bootTwoDisks(t, 100e3)
	tr := mm.NewTracer([]string{"balance_dirty_pages"})
	m.MM.SetTracer(tr)
	var took int64 = -1
	m.Spawn("w", func(p *Process) {
		if err := p.Sysctl("vm.dirty_writeback_centisecs", 0); err != nil {
			t.Error(err)
		}
		fd, _ := p.Open("/mnt/ext4/f", true)
		p.Pwrite(fd, 0, 1<<20, 1)
		if err := p.Sysctl("vm.dirty_bytes", 1<<20); err != nil {
			t.Error(err)
		}
		xfd, _ := p.Open("/mnt/xfs/f", true)
		start := m.Sched.Now()
		p.Pwrite(xfd, 0, 4<<20, 2)
		took = m.Sched.Now() - start
		if d := m.MM.GlobalPageState(mm.NR_FILE_DIRTY); d < 200 {
			t.Errorf("only %d pages dirty after the xfs write; want ext4's 256 still dirty (nothing writes them back)", d)
		}
	})
	if res := m.Run(60e9); res.Failed() {
		t.Fatalf("run: %+v\n%s", res, m.Log.String())
	}
	if took < 0 || took > 5e9 {
		t.Fatalf("the 4 MiB write to xfs took %.2f s (-1: never ended) while ext4 held the dirty limit; want it throttled by its own bdi only", float64(took)/1e9)
	}
	paused := 0
	for _, l := range tr.Lines() {
		if strings.Contains(l, "bdi sdb:") && !strings.Contains(l, " pause=0 ") {
			paused++
		}
	}
	t.Logf("4 MiB to xfs in %.3f s, %d pauses", float64(took)/1e9, paused)
}

// TestNrDirtiedPause checks v3.16's per-task ratelimit: copy_process
// starts nr_dirtied_pause at 32 pages (128 KiB); balance_dirty_pages_ratelimited
// calls balance_dirty_pages once the task has dirtied that many; below the
// freerun ceiling balance_dirty_pages sets it to dirty_poll_interval(dirty,
// thresh) = 1 << (ilog2(thresh - dirty) / 2) and nr_dirtied back to 0.
func TestNrDirtiedPause(t *testing.T) {
	m := bootWithDisks(t, sim.RoundRobin, 1)
	m.Spawn("w", func(p *Process) {
		if got := p.Task.NrDirtiedPause; got != 32 {
			t.Errorf("a new task's nr_dirtied_pause is %d, want 32", got)
		}
		fd, _ := p.Open("/mnt/ext4/f", true)
		p.Pwrite(fd, 0, 31*mm.PAGE_SIZE, 1)
		if p.Task.NrDirtied != 31 || p.Task.NrDirtiedPause != 32 {
			t.Errorf("after 31 pages: nr_dirtied %d, nr_dirtied_pause %d; want 31 and 32", p.Task.NrDirtied, p.Task.NrDirtiedPause)
		}
		p.Pwrite(fd, 31*mm.PAGE_SIZE, mm.PAGE_SIZE, 1)
		text, _ := m.Proc("/proc/vmstat")
		var thresh uint64
		for _, l := range strings.Split(text, "\n") {
			if v, ok := strings.CutPrefix(l, "nr_dirty_threshold "); ok {
				thresh = parseU(v)
			}
		}
		dirty := uint64(m.MM.GlobalPageState(mm.NR_FILE_DIRTY) + m.MM.GlobalPageState(mm.NR_WRITEBACK))
		want := 1
		for d := thresh - dirty; d >= 4; d >>= 2 {
			want <<= 1 // 1 << (ilog2(d) >> 1)
		}
		if p.Task.NrDirtied != 0 || p.Task.NrDirtiedPause != want || want < 64 {
			t.Errorf("after 32 pages (thresh %d, dirty %d): nr_dirtied %d, nr_dirtied_pause %d; want 0 and dirty_poll_interval %d",
				thresh, dirty, p.Task.NrDirtied, p.Task.NrDirtiedPause, want)
		}
	})
	finish(t, m)
}

func parseU(s string) uint64 {
	var v uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + uint64(c-'0')
	}
	return v
}

// TestDirtyTracepoints checks the text of v3.16's writeback tracepoints
// (include/trace/events/writeback.h): global_dirty_state from every
// global_dirty_limits, bdi_dirty_ratelimit from bdi_update_dirty_ratelimit
// (rates in KiB/s: KBps), and balance_dirty_pages (limits in pages, rates
// in KiB/s, times in ms), each field in its TP_printk order.
func TestDirtyTracepoints(t *testing.T) {
	m := bootTwoDisks(t, 2e6)
	tr := mm.NewTracer([]string{"balance_dirty_pages", "bdi_dirty_ratelimit", "global_dirty_state"})
	m.MM.SetTracer(tr)
	m.Spawn("w", func(p *Process) {
		if err := p.Sysctl("vm.dirty_bytes", 2<<20); err != nil {
			t.Error(err)
		}
		fd, _ := p.Open("/mnt/ext4/f", true)
		// Long enough for the bandwidth to be sampled (every 200 ms)
		// while the task is throttled: 2 ms a request of up to 128
		// merged pages.
		p.Pwrite(fd, 0, 48<<20, 1)
	})
	finish(t, m)
	pats := map[string]*regexp.Regexp{
		"global_dirty_state":  regexp.MustCompile(`^ +\S+-\d+ +\[\d{3}\] \.\.\.\. +\d+\.\d{6}: global_dirty_state: dirty=\d+ writeback=\d+ unstable=0 bg_thresh=256 thresh=512 limit=\d+ dirtied=\d+ written=\d+$`),
		"bdi_dirty_ratelimit": regexp.MustCompile(`^ +\S+-\d+ +\[\d{3}\] \.\.\.\. +\d+\.\d{6}: bdi_dirty_ratelimit: bdi sda: write_bw=\d+ awrite_bw=\d+ dirty_rate=\d+ dirty_ratelimit=\d+ task_ratelimit=\d+ balanced_dirty_ratelimit=\d+$`),
		"balance_dirty_pages": regexp.MustCompile(`^ +\S+-\d+ +\[\d{3}\] \.\.\.\. +\d+\.\d{6}: balance_dirty_pages: bdi sda: limit=\d+ setpoint=\d+ dirty=\d+ bdi_setpoint=\d+ bdi_dirty=\d+ dirty_ratelimit=\d+ task_ratelimit=\d+ dirtied=\d+ dirtied_pause=\d+ paused=\d+ pause=-?\d+ period=\d+ think=-?\d+$`),
	}
	seen := map[string]int{}
	for _, l := range tr.Lines() {
		for ev, re := range pats {
			if strings.Contains(l, " "+ev+": ") {
				seen[ev]++
				if !re.MatchString(l) {
					t.Errorf("%s line not in v3.16's format:\n%s", ev, l)
				}
			}
		}
	}
	for ev := range pats {
		if seen[ev] == 0 {
			t.Errorf("no %s event", ev)
		}
	}
	// The first bdi_dirty_ratelimit: write_bw starts at INIT_BW, 100 MB/s
	// = 102400 KiB/s, and dirty_ratelimit moves from there.
	for _, l := range tr.Lines() {
		if strings.Contains(l, "bdi_dirty_ratelimit:") {
			if !strings.Contains(l, "dirty_ratelimit=") || !regexp.MustCompile(`write_bw=\d+ awrite_bw=102400 `).MatchString(l) {
				t.Errorf("first bdi_dirty_ratelimit: want awrite_bw=102400 (INIT_BW in KiB/s) before any estimate:\n%s", l)
			}
			break
		}
	}
}

// laptopRun writes 2800 KiB (700 pages) to ext4 with a 4 MiB dirty limit
// (background threshold 512 pages, freerun ceiling 768) and no periodic
// writeback, then sleeps; it returns the pages still dirty after 10 s,
// and after a read from disk and 10 s more.
func laptopRun(t *testing.T, laptopMode int64) (dirtyAfterWrite, dirtyAfterIO int64) {
	m := bootTwoDisks(t, 100e3)
	// Before the flusher first runs: it then never wakes by itself.
	if err := m.Sysctl("vm.dirty_writeback_centisecs", 0); err != nil {
		t.Fatal(err)
	}
	m.Spawn("w", func(p *Process) {
		for _, s := range []struct {
			name  string
			value int64
		}{{"vm.dirty_bytes", 4 << 20}, {"vm.laptop_mode", laptopMode}} {
			if err := p.Sysctl(s.name, s.value); err != nil {
				t.Error(err)
			}
		}
		old, _ := p.Open("/mnt/xfs/old", true)
		p.Pwrite(old, 0, mm.PAGE_SIZE, 3)
		p.Fsync(old, false)
		fd, _ := p.Open("/mnt/ext4/f", true)
		p.Pwrite(fd, 0, 700*mm.PAGE_SIZE, 1)
		p.Sleep(10e9)
		dirtyAfterWrite = m.MM.GlobalPageState(mm.NR_FILE_DIRTY)
		// Disk activity on ext4: drop the cache of a clean page, read it back.
		p.Fsync(fd, false)
		p.Pwrite(fd, 0, 700*mm.PAGE_SIZE, 2)
		p.Sleep(10e9)
		dirtyAfterIO = m.MM.GlobalPageState(mm.NR_FILE_DIRTY)
	})
	finish(t, m)
	return
}

// TestLaptopMode checks v3.16's laptop mode (vm.laptop_mode):
// balance_dirty_pages starts background writeback of its bdi on the way
// out once dirty pages pass the background threshold, but not in laptop
// mode (below the freerun ceiling nothing else starts it); and each disk
// request completed in laptop mode (laptop_io_completion) arms the bdi's
// laptop_mode_wb_timer, which laptop_mode after the last one writes back
// every dirty page of the bdi (laptop_mode_timer_fn).
func TestLaptopMode(t *testing.T) {
	off, offIO := laptopRun(t, 0)
	on, onIO := laptopRun(t, 5)
	t.Logf("dirty pages: laptop_mode off %d then %d, on %d then %d", off, offIO, on, onIO)
	if off > 512 {
		t.Errorf("laptop_mode off: %d pages still dirty 10 s after the write; want background writeback down to the 512-page threshold", off)
	}
	if on != 700 {
		t.Errorf("laptop_mode on: %d pages dirty 10 s after writing 700 below the freerun ceiling; want all 700 left dirty (no background writeback started)", on)
	}
	if onIO != 0 {
		t.Errorf("laptop_mode on: %d pages dirty 10 s after disk I/O (fsync); want the laptop_mode timer to write everything back after 5 s", onIO)
	}
}

// TestWriteoutCompletionsShare checks v3.16 test_clear_page_writeback: the
// end of each page's writeback on a bdi that accounts writeback
// (__bdi_writeout_inc) counts a writeout completion for that bdi, so the
// bdi that wrote gets the share of the dirty limit (bdi_dirty_limit) and
// the idle one none. The share is read from the folded percpu_counters
// (lib/flex_proportions.c fprop_fraction_percpu): the completions end on
// CPU 0, where xfs's count folds every PROP_BATCH = 16 (240 of 255) and
// the global one every percpu_counter_batch = 32 (1 + 224 of 1 + 255),
// so the fraction, capped at 1, is the whole.
func TestWriteoutCompletionsShare(t *testing.T) {
	m := bootTwoDisks(t, 100e3)
	m.Spawn("w", func(p *Process) {
		fd, _ := p.Open("/mnt/xfs/f", true)
		p.Pwrite(fd, 0, 255*mm.PAGE_SIZE, 1)
		p.Fsync(fd, false)
	})
	finish(t, m)
	ext4, xfs := m.FS.Supers()[0].BDI, m.FS.Supers()[1].BDI
	if got := xfs.BdiStatSum(mm.BDI_WRITTEN); got != 255 {
		t.Errorf("xfs BDI_WRITTEN %d, want 255", got)
	}
	if got := m.MM.BdiDirtyLimit(xfs, 1024); got != 1024 {
		t.Errorf("xfs's share of 1024 pages %d, want all of it (240/225, capped at 1); exact counts would give 1024*255/256 = 1020", got)
	}
	if got := m.MM.BdiDirtyLimit(ext4, 1024); got != 0 {
		t.Errorf("idle ext4's share of 1024 pages %d, want 0", got)
	}
}

// TestDirtyThrottleLeaks checks v3.16's dirty_throttle_leaks: do_exit adds
// the pages a task dirtied without being throttled for them (nr_dirtied)
// to its CPU's dirty_throttle_leaks, and balance_dirty_pages_ratelimited
// charges them to the next task dirtying a page on that CPU, up to its
// ratelimit.
func TestDirtyThrottleLeaks(t *testing.T) {
	m := bootWithDisks(t, sim.RoundRobin, 1)
	m.Spawn("a", func(p *Process) {
		p.Task.CPU = 0
		fd, _ := p.Open("/mnt/ext4/a", true)
		p.Pwrite(fd, 0, 10*mm.PAGE_SIZE, 1)
		if p.Task.NrDirtied != 10 {
			t.Errorf("nr_dirtied %d after 10 pages, want 10", p.Task.NrDirtied)
		}
		p.Fork("b", func(c *Process) {
			c.Task.CPU = 0
			fd, _ := c.Open("/mnt/ext4/b", true)
			c.Pwrite(fd, 0, mm.PAGE_SIZE, 2)
			if c.Task.NrDirtied != 11 {
				t.Errorf("the next dirtier on the CPU has nr_dirtied %d after its first page, want 1 + the 10 pages a leaked = 11", c.Task.NrDirtied)
			}
		})
	})
	finish(t, m)
}

// TestOverBgroundThreshPerBDI checks v3.16 fs/fs-writeback.c
// over_bground_thresh: a device's flusher does background writeback
// (wb_check_background_flush) not only while the machine's dirty pages
// exceed the background threshold, but also while the device's own
// BDI_RECLAIMABLE pages, as bdi_stat reads them, exceed its share of that
// threshold (bdi_dirty_limit, from its share of recent writeout
// completions). A slow ext4 (1 ms a page) has just written 4096 pages and
// holds nearly the whole share; a fast xfs wrote 16 (a share of a few
// pages, some 30 by the time its flusher runs, as the periods age the
// other counts faster than its unfolded one). Then 64 pages are dirtied
// on each: far below the global background threshold, but above xfs's
// share. xfs's flusher, at its first run 5 s later, writes its pages
// back; ext4's, below its share, leaves them for kupdate (30 s) at its
// runs meanwhile.
func TestOverBgroundThreshPerBDI(t *testing.T) {
	m := bootTwoDisks(t, 1e6)
	ext4, xfs := m.FS.Supers()[0], m.FS.Supers()[1]
	m.Spawn("w", func(p *Process) {
		e, _ := p.Open("/mnt/ext4/history", true)
		for i := int64(0); i < 4; i++ {
			p.Pwrite(e, i<<22, 1024*mm.PAGE_SIZE, 1)
			p.Fsync(e, false)
		}
		x, _ := p.Open("/mnt/xfs/history", true)
		p.Pwrite(x, 0, 16*mm.PAGE_SIZE, 1)
		p.Fsync(x, false)

		bg, _ := m.MM.GlobalDirtyLimits()
		if l := m.MM.BdiDirtyLimit(xfs.BDI, bg); l >= 64 {
			t.Errorf("xfs's share of the %d-page background threshold is %d pages, want below 64", bg, l)
		}
		if l := m.MM.BdiDirtyLimit(ext4.BDI, bg); l <= 64 {
			t.Errorf("ext4's share of the %d-page background threshold is %d pages, want above 64", bg, l)
		}
		t.Logf("background threshold %d pages: shares xfs %d, ext4 %d", bg, m.MM.BdiDirtyLimit(xfs.BDI, bg), m.MM.BdiDirtyLimit(ext4.BDI, bg))
		xw, ew := xfs.Dev.Writes, ext4.Dev.Writes
		x2, _ := p.Open("/mnt/xfs/f", true)
		p.Pwrite(x2, 0, 64*mm.PAGE_SIZE, 2)
		e2, _ := p.Open("/mnt/ext4/f", true)
		p.Pwrite(e2, 0, 64*mm.PAGE_SIZE, 2)
		p.Sleep(4.9e9)
		if xfs.Dev.Writes != xw || ext4.Dev.Writes != ew {
			t.Errorf("written before the first worker run: xfs %d, ext4 %d pages", xfs.Dev.Writes-xw, ext4.Dev.Writes-ew)
		}
		p.Sleep(1.6e9)
		if d := m.MM.GlobalPageState(mm.NR_FILE_DIRTY); uint64(d) >= bg {
			t.Errorf("%d pages dirty, want below the background threshold %d", d, bg)
		}
		if got := xfs.BDI.BdiStatSum(mm.BDI_RECLAIMABLE); got != 0 || xfs.Dev.Writes-xw != 64 {
			t.Errorf("xfs, over its share: %d pages dirty, %d written 6.5 s after; want background writeback of all 64", got, xfs.Dev.Writes-xw)
		}
		if got := ext4.BDI.BdiStatSum(mm.BDI_RECLAIMABLE); got != 64 || ext4.Dev.Writes != ew {
			t.Errorf("ext4, below its share: %d pages dirty, %d written 6.5 s after; want all 64 left dirty", got, ext4.Dev.Writes-ew)
		}
	})
	finish(t, m)
}
