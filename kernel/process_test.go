// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"strings"
	"testing"

	"pagesim/mm"
	"pagesim/sim"
)

func bootWithDisks(t *testing.T, policy sim.Policy, seed uint64) *Machine {
	t.Helper()
	cfg := DefaultConfig()
	cfg.MemBytes = 256 << 20
	cfg.Policy, cfg.Seed = policy, seed
	cfg.Mounts = []MountSpec{{Type: "ext4", Path: "/mnt/ext4", SizeBytes: 1 << 30}, {Type: "xfs", Path: "/mnt/xfs", SizeBytes: 1 << 30}}
	m, err := Boot(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func finish(t *testing.T, m *Machine) {
	t.Helper()
	if res := m.Run(0); res.Failed() {
		t.Fatalf("run: %+v\n%s", res, m.Log.String())
	}
	if m.DataIntegrityErrors != 0 {
		t.Fatalf("%d data integrity errors:\n%s", m.DataIntegrityErrors, m.Log.String())
	}
	if errs := m.MM.CheckInvariants(); len(errs) > 0 {
		t.Fatalf("invariants: %v", errs)
	}
}

// TestProcessesForkAndFiles runs processes that fork, write anonymous
// memory (copy-on-write) and files on ext4 and xfs, fsync, truncate and
// exit, under the random scheduler; every read must return what was
// written (the data-integrity oracle), the invariants must hold, and after
// every process has exited their kernel stacks and page tables are gone.
func TestProcessesForkAndFiles(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		m := bootWithDisks(t, sim.Random, seed)
		for i, dir := range []string{"/mnt/ext4", "/mnt/xfs"} {
			dir := dir
			m.Spawn("worker", func(p *Process) {
				addr, err := p.Mmap(64*mm.PAGE_SIZE, true)
				if err != nil {
					t.Error(err)
					return
				}
				p.Touch(addr, 64*mm.PAGE_SIZE, 0, true, uint64(100+i))
				fd, _ := p.Open(dir+"/data", true)
				p.Pwrite(fd, 0, 32*mm.PAGE_SIZE, 7)
				child, err := p.Fork("child", func(c *Process) {
					c.Touch(addr, 64*mm.PAGE_SIZE, 2*mm.PAGE_SIZE, false, 0)
					c.Touch(addr, 16*mm.PAGE_SIZE, 0, true, 55)
					c.Pwrite(fd, 4*mm.PAGE_SIZE+100, 300, 8)
					c.Pread(fd, 0, 32*mm.PAGE_SIZE)
				})
				if err != nil {
					t.Error(err)
					return
				}
				_ = child
				p.Touch(addr, 64*mm.PAGE_SIZE, 0, false, 0)
				p.Fsync(fd, false)
				p.Ftruncate(fd, 10*mm.PAGE_SIZE+5)
				p.Pread(fd, 0, 32*mm.PAGE_SIZE)
				p.Munmap(addr+8*mm.PAGE_SIZE, 8*mm.PAGE_SIZE)
				p.Touch(addr, 8*mm.PAGE_SIZE, 0, false, 0)
			})
		}
		finish(t, m)
		if n := m.MM.GlobalPageStateSnapshot(mm.NR_KERNEL_STACK); n != 0 {
			t.Errorf("seed %d: NR_KERNEL_STACK %d after every process exited", seed, n)
		}
	}
}

// TestOracleReadDuringWrite checks the oracle against a reader that runs
// while another task's write() is still copying (it sleeps in
// balance_dirty_pages and on page locks): the reader may see each page as
// before or after the write, and that is no integrity error.
func TestOracleReadDuringWrite(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		m := bootWithDisks(t, sim.Random, seed)
		m.Spawn("writer", func(p *Process) {
			fd, _ := p.Open("/mnt/xfs/f", true)
			for tok := uint64(1); tok <= 4; tok++ {
				p.Pwrite(fd, 0, 64<<20, tok)
			}
		})
		m.Spawn("reader", func(p *Process) {
			fd, _ := p.Open("/mnt/xfs/f", true)
			for i := 0; i < 8; i++ {
				p.Pread(fd, 0, 64<<20)
				p.Sleep(5e6)
			}
		})
		finish(t, m)
	}
}

// TestFullPageWriteIgnoresOldFrame checks that a write of a whole page
// into a new page-cache page leaves exactly the written data: the frame
// came from the allocator with whatever its last user wrote (the kernel
// does not clear it, the write covers it all), and none of that may show.
func TestFullPageWriteIgnoresOldFrame(t *testing.T) {
	m := bootWithDisks(t, sim.RoundRobin, 1)
	m.Spawn("t", func(p *Process) {
		a, _ := p.Mmap(16<<20, true)
		p.Touch(a, 16<<20, 0, true, 0x77)
		p.Munmap(a, 16<<20)
		fd, _ := p.Open("/mnt/ext4/f", true)
		p.Pwrite(fd, 0, 16<<20, 5)
		p.Pread(fd, 0, 16<<20)
	})
	finish(t, m)
}

// TestWritebackIntervalZero checks vm.dirty_writeback_centisecs=0: the
// flusher's periodic (kupdate) wakeup is off, so old dirty data stays
// dirty past dirty_expire_centisecs until something else writes it; and
// the flusher does not spin at one instant of virtual time.
func TestWritebackIntervalZero(t *testing.T) {
	m := bootWithDisks(t, sim.RoundRobin, 1)
	var dirty string
	m.Spawn("t", func(p *Process) {
		if err := p.Sysctl("vm.dirty_writeback_centisecs", 0); err != nil {
			t.Error(err)
		}
		fd, _ := p.Open("/mnt/ext4/f", true)
		p.Pwrite(fd, 0, 1<<20, 9)
		p.Sleep(40e9) // past the 30 s expiry
		dirty, _ = p.m.Proc("/proc/meminfo")
	})
	finish(t, m)
	if !strings.Contains(dirty, "Dirty:              1024 kB") {
		t.Fatalf("want the 1 MiB still dirty after 40 s without periodic writeback:\n%s", dirty)
	}
}
