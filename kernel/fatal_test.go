// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"testing"

	"pagesim/mm"
	"pagesim/sim"
)

// Tests of v3.16's killable waits on the file read paths: a process sent
// SIGKILL while it waits for a page being read from disk leaves at once,
// instead of when the I/O completes.

// bootSlowDisk boots a machine whose ext4 disk takes a second per request.
func bootSlowDisk(t *testing.T) *Machine {
	t.Helper()
	cfg := DefaultConfig()
	cfg.MemBytes = 128 << 20
	cfg.Policy = sim.RoundRobin
	cfg.Mounts = []MountSpec{{Type: "ext4", Path: "/mnt/ext4", SizeBytes: 1 << 30, LatencyNS: 1e9}}
	m, err := Boot(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// killDuringRead runs setup (a file of 8 pages on disk, not cached), then
// read in a process that the killer sends SIGKILL 1 ms into it; it
// returns the read's error and when the reader exited.
func killDuringRead(t *testing.T, read func(p *Process, fd int) error) (error, int64) {
	m := bootSlowDisk(t)
	var readErr error
	var exited int64
	ready := false
	m.Spawn("writer", func(p *Process) {
		fd, _ := p.Open("/mnt/ext4/f", true)
		p.Pwrite(fd, 0, 8*mm.PAGE_SIZE, 5)
		p.Fsync(fd, false)
		p.Close(fd)
		p.m.MM.LRUAddDrainAll() // the pagevecs' references would keep the pages
		p.DropCaches(1)
		ready = true
	})
	var reader *Process
	reader = m.Spawn("reader", func(p *Process) {
		for !ready {
			p.Sleep(1e6)
		}
		fd, _ := p.Open("/mnt/ext4/f", false)
		readErr = read(p, fd)
		// Back in user mode: a killed task dies here.
		p.Sleep(1)
		exited = p.Task.Now()
	})
	m.Spawn("killer", func(p *Process) {
		for !ready {
			p.Sleep(1e6)
		}
		p.Sleep(1e6)
		if err := p.Kill(reader); err != nil {
			t.Errorf("kill: %v", err)
		}
	})
	if res := m.Run(0); res.Failed() {
		t.Fatalf("%+v\n%s", res, m.Log.String())
	}
	if !reader.Exited() {
		t.Fatal("the killed reader did not exit")
	}
	if exited == 0 {
		exited = reader.Task.Now()
	}
	return readErr, exited
}

// TestReadLockPageKillable checks v3.16 mm/filemap.c
// do_generic_file_read: a page not up to date is locked with
// lock_page_killable, so a reader waiting for its read I/O is ended by
// SIGKILL (-EINTR, nothing read) without waiting the second the disk takes.
func TestReadLockPageKillable(t *testing.T) {
	var n int64
	var start int64
	err, _ := killDuringRead(t, func(p *Process, fd int) error {
		start = p.Task.Now()
		var err error
		n, err = p.Pread(fd, 0, 8*mm.PAGE_SIZE)
		if d := p.Task.Now() - start; d >= 1e9 {
			t.Errorf("pread returned after %d ns: it waited for the I/O", d)
		}
		return err
	})
	if err == nil || err.Error() != "EINTR" {
		t.Fatalf("pread returned %d, %v; want EINTR", n, err)
	}
}

// TestFaultLockPageOrRetryKillable checks v3.16 filemap_fault's
// lock_page_or_retry for a user fault (FAULT_FLAG_ALLOW_RETRY|
// FAULT_FLAG_KILLABLE): the fault waits for the page under read I/O with
// wait_on_page_locked_killable and returns VM_FAULT_RETRY; with SIGKILL
// pending __do_page_fault returns instead of retrying, and the task dies
// on its way back to user mode, before the I/O completes.
func TestFaultLockPageOrRetryKillable(t *testing.T) {
	err, _ := killDuringRead(t, func(p *Process, fd int) error {
		a, err := p.MmapFile(fd, 0, 8*mm.PAGE_SIZE, false, true)
		if err != nil {
			return err
		}
		start := p.Task.Now()
		err = p.Touch(a, mm.PAGE_SIZE, 0, false, 0)
		if d := p.Task.Now() - start; d >= 1e9 {
			t.Errorf("the fault returned after %d ns: it waited for the I/O", d)
		}
		return err
	})
	if err != EINTR {
		t.Fatalf("touch returned %v, want EINTR", err)
	}
}

// TestPerformWriteFatalSignal checks v3.16 mm/filemap.c
// generic_perform_write: after each page (and balance_dirty_pages, whose
// pauses are TASK_KILLABLE) a fatal signal ends the copy: write(2)
// returns what it copied so far, and the writer dies.
func TestPerformWriteFatalSignal(t *testing.T) {
	m := bootPressure(t, 0, nil)
	const length = 64 << 20
	var n int64
	var werr error
	writer := m.Spawn("writer", func(p *Process) {
		fd, _ := p.Open("/mnt/ext4/f", true)
		n, werr = p.Pwrite(fd, 0, length, 3)
	})
	m.Spawn("killer", func(p *Process) {
		p.Sleep(1e6)
		p.Kill(writer)
	})
	if res := m.Run(0); res.Failed() {
		t.Fatalf("%+v\n%s", res, m.Log.String())
	}
	if werr != nil || n <= 0 || n >= length {
		t.Fatalf("the killed write returned %d, %v; want the bytes copied before SIGKILL", n, werr)
	}
	if !writer.Exited() {
		t.Fatal("the writer did not exit")
	}
}

// TestBalanceDirtyPagesKillable checks v3.16 mm/page-writeback.c
// balance_dirty_pages: the dirtier's pause is TASK_KILLABLE and the loop
// ends on fatal_signal_pending, so a writer throttled behind a slow disk
// returns from write(2) as soon as it is killed.
func TestBalanceDirtyPagesKillable(t *testing.T) {
	m := bootSlowDisk(t)
	const length = 100 << 20
	var n int64
	var returned, killed int64
	writer := m.Spawn("writer", func(p *Process) {
		fd, _ := p.Open("/mnt/ext4/f", true)
		n, _ = p.Pwrite(fd, 0, length, 3)
		returned = p.Task.Now()
	})
	m.Spawn("killer", func(p *Process) {
		p.Sleep(3e9)
		if writer.Task.State() != sim.StateSleeping || writer.Task.Uninterruptible() {
			t.Errorf("the writer is not in a killable pause (%v)", writer.Task.State())
		}
		killed = p.Task.Now()
		p.Kill(writer)
	})
	if res := m.Run(0); res.Failed() {
		t.Fatalf("%+v\n%s", res, m.Log.String())
	}
	if n <= 0 || n >= length || returned-killed > 1e6 {
		t.Fatalf("write returned %d at %d ns, killed at %d ns: want a short write, at once", n, returned, killed)
	}
}

// TestPreadKilledReturnsBytesCopied checks v3.16 mm/filemap.c
// do_generic_file_read and generic_file_read_iter: a read that a fatal
// signal stops after copying some pages returns the bytes it copied
// (retval, not the error, once anything was copied), whatever i_size
// says. Here readahead is off (ra_pages 0), so each page is its own
// one-second read from disk, and SIGKILL comes while the second page is
// being read.
func TestPreadKilledReturnsBytesCopied(t *testing.T) {
	m := bootSlowDisk(t)
	ready := false
	var n int64
	var rerr error
	m.Spawn("writer", func(p *Process) {
		fd, _ := p.Open("/mnt/ext4/f", true)
		p.Pwrite(fd, 0, 8*mm.PAGE_SIZE, 5)
		p.Fsync(fd, false)
		p.Close(fd)
		p.m.MM.LRUAddDrainAll()
		p.DropCaches(1)
		ready = true
	})
	var reader *Process
	reader = m.Spawn("reader", func(p *Process) {
		for !ready {
			p.Sleep(1e6)
		}
		fd, _ := p.Open("/mnt/ext4/f", false)
		f, err := p.file(fd)
		if err != nil {
			t.Error(err)
			return
		}
		f.RA.RAPages = 0
		n, rerr = p.Pread(fd, 0, 8*mm.PAGE_SIZE)
		p.Sleep(1)
	})
	m.Spawn("killer", func(p *Process) {
		for !ready {
			p.Sleep(1e6)
		}
		p.Sleep(1.5e9)
		if err := p.Kill(reader); err != nil {
			t.Errorf("kill: %v", err)
		}
	})
	if res := m.Run(0); res.Failed() {
		t.Fatalf("%+v\n%s", res, m.Log.String())
	}
	if n != mm.PAGE_SIZE || rerr != nil {
		t.Fatalf("killed pread returned %d, %v; want %d bytes copied, no error", n, rerr, mm.PAGE_SIZE)
	}
}
