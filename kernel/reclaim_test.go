// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"pagesim/mm"
)

func bootPressure(t *testing.T, swap uint64, edit func(*Config)) *Machine {
	t.Helper()
	cfg := DefaultConfig()
	cfg.MemBytes = 128 << 20
	cfg.SwapBytes = swap
	cfg.Mounts = []MountSpec{{Type: "ext4", Path: "/mnt/ext4", SizeBytes: 1 << 30}, {Type: "xfs", Path: "/mnt/xfs", SizeBytes: 1 << 30}}
	if edit != nil {
		edit(&cfg)
	}
	m, err := Boot(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// scanned counts the pages the mm_vmscan_lru_isolate tracepoint reports
// scanned from anon (file=0) and file (file=1) lists.
func scanned(lines []string) (anon, file int) {
	for _, l := range lines {
		i := strings.Index(l, "mm_vmscan_lru_isolate:")
		if i < 0 {
			continue
		}
		var mode, order, req, scan, taken, isFile int
		if _, err := fmt.Sscanf(l[i+len("mm_vmscan_lru_isolate: "):], "isolate_mode=%d order=%d nr_requested=%d nr_scanned=%d nr_taken=%d file=%d",
			&mode, &order, &req, &scan, &taken, &isFile); err != nil {
			continue
		}
		if isFile == 1 {
			file += scan
		} else {
			anon += scan
		}
	}
	return
}

// TestAnonSwapsOutAndBack runs a process whose anonymous memory is larger
// than the machine with swap: reclaim (kswapd and direct) puts pages in
// swap, and every page reads back what was written (the oracle), with
// pswpout and pswpin counted.
func TestAnonSwapsOutAndBack(t *testing.T) {
	m := bootPressure(t, 256<<20, nil)
	m.Spawn("hog", func(p *Process) {
		const size = 160 << 20
		addr, err := p.Mmap(size, true)
		if err != nil {
			t.Error(err)
			return
		}
		p.Touch(addr, size, 0, true, 0xabc)
		p.Touch(addr, size, 0, false, 0)
	})
	finish(t, m)
	if m.MM.VMEvent(mm.PSWPOUT) == 0 || m.MM.VMEvent(mm.PSWPIN) == 0 {
		t.Fatalf("pswpout %d pswpin %d: nothing went through swap", m.MM.VMEvent(mm.PSWPOUT), m.MM.VMEvent(mm.PSWPIN))
	}
}

// TestNoSwapNoAnonScan checks get_scan_count(): without swap the anon
// lists are never scanned; reclaim takes file pages only.
func TestNoSwapNoAnonScan(t *testing.T) {
	m := bootPressure(t, 0, nil)
	tr := mm.NewTracer([]string{"mm_vmscan_lru_isolate"})
	m.MM.SetTracer(tr)
	m.Spawn("mixed", func(p *Process) {
		fd, _ := p.Open("/mnt/ext4/big", true)
		p.Pwrite(fd, 0, 96<<20, 1)
		p.Fsync(fd, false)
		addr, _ := p.Mmap(48<<20, true)
		p.Touch(addr, 48<<20, 0, true, 2)
	})
	finish(t, m)
	anon, file := scanned(tr.Lines())
	if file == 0 {
		t.Fatalf("no reclaim happened (file scanned 0)")
	}
	if anon != 0 {
		t.Fatalf("anon lists scanned %d pages without swap", anon)
	}
}

// TestSwappinessZeroSparesAnon checks get_scan_count() with vm.swappiness 0:
// while the file lists are large enough, the inactive anon list is not
// scanned for reclaim (shrink_inactive_list on anon) and nothing is
// swapped, even with swap available. (The active anon list is still aged
// into the inactive one while swap exists, as inactive_anon_is_low asks.)
func TestSwappinessZeroSparesAnon(t *testing.T) {
	m := bootPressure(t, 256<<20, nil)
	m.MM.SetSwappiness(0)
	tr := mm.NewTracer([]string{"mm_vmscan_lru_shrink_inactive"})
	m.MM.SetTracer(tr)
	m.Spawn("mixed", func(p *Process) {
		addr, _ := p.Mmap(24<<20, true)
		p.Touch(addr, 24<<20, 0, true, 2)
		fd, _ := p.Open("/mnt/xfs/big", true)
		for i := int64(0); i < 4; i++ {
			p.Pwrite(fd, i*(40<<20), 40<<20, uint64(i))
			p.Fsync(fd, false)
		}
	})
	finish(t, m)
	file, anon := 0, 0
	for _, l := range tr.Lines() {
		var nid, zid, scan, rec, prio int
		i := strings.Index(l, "mm_vmscan_lru_shrink_inactive: ")
		fmt.Sscanf(l[i+len("mm_vmscan_lru_shrink_inactive: "):], "nid=%d zid=%d nr_scanned=%d nr_reclaimed=%d priority=%d", &nid, &zid, &scan, &rec, &prio)
		if strings.Contains(l, "RECLAIM_WB_ANON") {
			anon += scan
		} else {
			file += scan
		}
	}
	if file == 0 {
		t.Fatalf("no reclaim happened")
	}
	if anon != 0 {
		t.Fatalf("swappiness 0 with plenty of file pages, yet %d inactive anon pages scanned", anon)
	}
	if m.MM.VMEvent(mm.PSWPOUT) != 0 {
		t.Fatalf("swappiness 0: %d pages swapped out", m.MM.VMEvent(mm.PSWPOUT))
	}
}

// TestOOMKillsLargest checks the OOM killer: with no swap and memory
// exhausted by anonymous memory, select_bad_process picks the task with the
// most rss + page tables + swap entries, it is killed (TIF_MEMDIE,
// SIGKILL), exits, and the others run to completion.
func TestOOMKillsLargest(t *testing.T) {
	m := bootPressure(t, 0, nil)
	var big *Process
	sizes := []uint64{8 << 20, 200 << 20, 16 << 20}
	for i, size := range sizes {
		size := size
		p := m.Spawn("eater", func(p *Process) {
			addr, err := p.Mmap(size, true)
			if err != nil {
				return
			}
			p.Touch(addr, size, 0, true, 7)
		})
		if i == 1 {
			big = p
		}
	}
	res := m.Run(0)
	if res.Failed() {
		t.Fatalf("%+v\n%s", res, m.Log.String())
	}
	log := m.Log.String()
	if !strings.Contains(log, "invoked oom-killer") {
		t.Fatalf("no OOM report:\n%s", log)
	}
	want := "Killed process " + strconv.Itoa(big.Task.PID) + " (eater)"
	if !strings.Contains(log, want) {
		t.Fatalf("the largest task (pid %d) was not the one killed:\n%s", big.Task.PID, log)
	}
	if errs := m.MM.CheckInvariants(); len(errs) > 0 {
		t.Fatal(errs)
	}
}

// TestNoWritepageFromDirectReclaim drives direct reclaim with dirty ext4
// and xfs pages on the LRU (dirty limits raised so dirty pages pile up) and
// checks that neither filesystem's reclaim WARN fires: in v3.16 direct
// reclaim never calls ->writepage on a file-cache page.
func TestNoWritepageFromDirectReclaim(t *testing.T) {
	m := bootPressure(t, 64<<20, nil)
	m.MM.Dirty().DirtyRatio = 90
	m.MM.Dirty().DirtyBackgroundRatio = 80
	for i, dir := range []string{"/mnt/ext4", "/mnt/xfs"} {
		i, dir := i, dir
		m.Spawn("writer", func(p *Process) {
			fd, _ := p.Open(dir+"/f", true)
			p.Pwrite(fd, 0, 40<<20, uint64(i))
			addr, _ := p.Mmap(48<<20, true)
			p.Touch(addr, 48<<20, 0, true, 3)
		})
	}
	finish(t, m)
	if log := m.Log.String(); strings.Contains(log, "WARNING:") {
		t.Fatalf("a WARN fired:\n%s", log)
	}
	if m.MM.VMEvent(mm.ALLOCSTALL) == 0 {
		t.Fatalf("no direct reclaim happened")
	}
}

// TestOOMWakesSleepingVictim checks that the OOM killer's SIGKILL wakes a
// victim in an interruptible sleep (signal_wake_up): it exits and frees
// its memory at once, and the allocating task does not spin in reclaim
// until the victim's sleep would have ended.
func TestOOMWakesSleepingVictim(t *testing.T) {
	m := bootPressure(t, 0, nil)
	var hogDone int64
	m.Spawn("sleeper", func(p *Process) {
		addr, _ := p.Mmap(96<<20, true)
		p.Touch(addr, 96<<20, 0, true, 1)
		if err := p.Sleep(10e9); err != EINTR {
			t.Errorf("the victim's sleep returned %v, want EINTR", err)
		}
	})
	m.Spawn("hog", func(p *Process) {
		p.Sleep(1e6)
		addr, _ := p.Mmap(64<<20, true)
		if err := p.Touch(addr, 64<<20, 0, true, 2); err != nil {
			t.Errorf("hog: %v", err)
		}
		hogDone = p.Task.Now()
	})
	if res := m.Run(0); res.Failed() {
		t.Fatalf("%+v\n%s", res, m.Log.String())
	}
	if !strings.Contains(m.Log.String(), "(sleeper)") {
		t.Fatalf("the sleeper was not killed:\n%s", m.Log.String())
	}
	if hogDone == 0 || hogDone > 1e9 {
		t.Fatalf("the hog finished at %d ns, want well before the victim's 10 s sleep ends", hogDone)
	}
	vm, _ := m.Proc("/proc/vmstat")
	var stalls int
	for _, l := range strings.Split(vm, "\n") {
		if n, err := fmt.Sscanf(l, "allocstall %d", &stalls); n == 1 && err == nil {
			break
		}
	}
	if stalls > 1000 {
		t.Fatalf("allocstall %d: the allocator spun while the victim slept", stalls)
	}
}
