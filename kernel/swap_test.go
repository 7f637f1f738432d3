// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"strings"
	"testing"

	"pagesim/mm"
	"pagesim/sim"
)

// TestSwapAndTmpfs boots a machine with a swap disk (Config.SwapBytes) and
// a tmpfs mount, and checks at the system-call level the rules of swap:
// /proc/meminfo shows the swap area; anonymous memory (shared with a
// forked child), a tmpfs file and a shared mapping of it keep their
// contents through swap-out (standing in for reclaim: mm.ReclaimPage),
// swap-in, truncation and swapoff (the data-integrity oracle checks every
// read); swapoff empties swap and swapon brings it back; when every
// process has gone, every slot is free.
func TestSwapAndTmpfs(t *testing.T) {
	for seed := uint64(1); seed <= 2; seed++ {
		cfg := DefaultConfig()
		cfg.MemBytes = 256 << 20
		cfg.Policy, cfg.Seed = sim.Random, seed
		cfg.SwapBytes = 32 << 20
		cfg.Mounts = []MountSpec{{Type: "tmpfs", Path: "/tmp"}}
		m, err := Boot(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Close)
		info, _ := m.Proc("/proc/meminfo")
		if !strings.Contains(info, "SwapTotal:         32764 kB") || !strings.Contains(info, "SwapFree:          32764 kB") {
			t.Fatalf("meminfo:\n%s", info)
		}
		reclaim := func(pfn uint64, ok bool) {
			if ok {
				m.MM.ReclaimPage(pfn)
			}
		}
		m.Spawn("worker", func(p *Process) {
			const n = 16
			addr, _ := p.Mmap(n*mm.PAGE_SIZE, true)
			p.Touch(addr, n*mm.PAGE_SIZE, 0, true, 0x100)
			fd, err := p.Open("/tmp/data", true)
			if err != nil {
				t.Error(err)
				return
			}
			p.Pwrite(fd, 0, 8*mm.PAGE_SIZE, 0x200)
			shared, err := p.MmapFile(fd, 0, 8*mm.PAGE_SIZE, true, true)
			if err != nil {
				t.Error(err)
				return
			}
			p.Touch(shared+2*mm.PAGE_SIZE, 2*mm.PAGE_SIZE, 0, true, 0x300)
			mapping := p.files[fd].Inode.Mapping
			swapOutAll := func() {
				for i := uint64(0); i < n; i++ {
					reclaim(m.MM.FollowPage(p.MM, addr+i*mm.PAGE_SIZE))
				}
				for idx := uint64(0); idx < 8; idx++ {
					if pfn, ok := m.MM.FindGetPage(mapping, idx); ok {
						m.MM.PutPage(pfn)
						reclaim(pfn, true)
					}
				}
			}
			child, err := p.Fork("child", func(c *Process) {
				c.Touch(addr, n*mm.PAGE_SIZE, 0, false, 0)
				c.Touch(addr, 4*mm.PAGE_SIZE, 0, true, 0x400)
				c.Pread(fd, 0, 8*mm.PAGE_SIZE)
			})
			if err != nil {
				t.Error(err)
				return
			}
			_ = child
			swapOutAll()
			p.Touch(addr, n*mm.PAGE_SIZE, 0, false, 0)
			p.Touch(shared, 8*mm.PAGE_SIZE, 0, false, 0)
			p.Pread(fd, 0, 8*mm.PAGE_SIZE)
			swapOutAll()
			p.Ftruncate(fd, 5*mm.PAGE_SIZE+10)
			p.Pread(fd, 0, 8*mm.PAGE_SIZE)
			swapOutAll()
			if m.MM.TotalSwapPages()-m.MM.NrSwapPages() == 0 {
				t.Error("nothing in swap before swapoff")
			}
			if err := p.SwapOff(); err != nil {
				t.Errorf("swapoff: %v", err)
			}
			if m.MM.TotalSwapPages() != 0 {
				t.Errorf("swap still on: %d pages", m.MM.TotalSwapPages())
			}
			p.Touch(addr, n*mm.PAGE_SIZE, 0, false, 0)
			p.Pread(fd, 0, 8*mm.PAGE_SIZE)
			if err := p.SwapOn(-1); err != nil {
				t.Errorf("swapon: %v", err)
			}
			if err := p.SwapOn(-1); err != EBUSY {
				t.Errorf("second swapon: %v, want EBUSY", err)
			}
			swapOutAll()
			p.Touch(shared, 5*mm.PAGE_SIZE, 0, false, 0)
			p.Munmap(shared, 8*mm.PAGE_SIZE)
			p.Close(fd)
			p.Unlink("/tmp/data")
		})
		finish(t, m)
		// Every slot still in use is held only by the swap cache: a page
		// whose read was in flight when its last reference went (free_swap_
		// and_cache only trylocks), left for reclaim to free.
		_, cached := m.MM.SwapCacheStats()
		if free, total := m.MM.NrSwapPages(), m.MM.TotalSwapPages(); free+int64(cached) != total || total == 0 {
			t.Errorf("seed %d: %d of %d swap pages free, %d in the swap cache, after every process exited", seed, free, total, cached)
		}
		if n := m.MM.GlobalPageStateSnapshot(mm.NR_SHMEM); n != 0 {
			t.Errorf("seed %d: NR_SHMEM %d after the file was removed", seed, n)
		}
		if strings.Contains(m.Log.String(), "BUG") || strings.Contains(m.Log.String(), "WARNING") {
			t.Errorf("seed %d: kernel log:\n%s", seed, m.Log.String())
		}
	}
}

// TestSwapConcurrent runs a process and three forked children that share
// anonymous memory and a tmpfs file (a 64 KiB mount, so writes past it are
// short) under the random scheduler, each pushing pages to a small swap
// area (full at times) while the others fault them back, with a swapoff
// and swapon in the middle and a truncate at the end. Rules: every read
// returns what was written (the data-integrity oracle), nothing is
// reported, and the invariants hold when all have exited.
func TestSwapConcurrent(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		cfg := DefaultConfig()
		cfg.MemBytes = 256 << 20
		cfg.Policy, cfg.Seed = sim.Random, seed
		cfg.SwapBytes = (16 + seed%3*40) << mm.PAGE_SHIFT
		cfg.Mounts = []MountSpec{{Type: "tmpfs", Path: "/tmp", SizeBytes: 64 << 10}}
		m, err := Boot(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Close)
		reclaim := func(p *Process, addr, n uint64, mapping *mm.AddressSpace) {
			for i := uint64(0); i < n; i++ {
				if pfn, ok := m.MM.FollowPage(p.MM, addr+i*mm.PAGE_SIZE); ok {
					m.MM.ReclaimPage(pfn)
				}
				if pfn, ok := m.MM.FindGetPage(mapping, i%8); ok {
					m.MM.PutPage(pfn)
					m.MM.ReclaimPage(pfn)
				}
			}
		}
		m.Spawn("worker", func(p *Process) {
			const n = 24
			addr, _ := p.Mmap(n*mm.PAGE_SIZE, true)
			p.Touch(addr, n*mm.PAGE_SIZE, 0, true, 0x100)
			fd, _ := p.Open("/tmp/f", true)
			p.Pwrite(fd, 0, 8*mm.PAGE_SIZE, 0x200)
			if w, err := p.Pwrite(fd, 0, 32*mm.PAGE_SIZE, 0x201); err != nil || w != 16*mm.PAGE_SIZE {
				t.Errorf("write past the tmpfs size: %d, %v; want a short write of 64 KiB", w, err)
			}
			mapping := p.files[fd].Inode.Mapping
			sh, _ := p.MmapFile(fd, 0, 8*mm.PAGE_SIZE, true, true)
			for k := uint64(0); k < 3; k++ {
				p.Fork("child", func(c *Process) {
					for r := uint64(0); r < 3; r++ {
						c.Touch(addr, n*mm.PAGE_SIZE, 0, false, 0)
						c.Touch(addr+r*mm.PAGE_SIZE, 3*mm.PAGE_SIZE, 0, true, 0x500+r+k*16)
						reclaim(c, addr, n, mapping)
						c.Touch(sh, 8*mm.PAGE_SIZE, 0, false, 0)
						c.Pread(fd, 0, 8*mm.PAGE_SIZE)
					}
				})
			}
			for r := uint64(0); r < 4; r++ {
				reclaim(p, addr, n, mapping)
				p.Touch(addr, n*mm.PAGE_SIZE, 0, false, 0)
				p.Touch(sh+mm.PAGE_SIZE, mm.PAGE_SIZE, 0, true, 0x900+r)
				p.Pread(fd, 0, 8*mm.PAGE_SIZE)
				if r == 2 {
					if err := p.SwapOff(); err != nil {
						t.Errorf("swapoff: %v", err)
					}
					p.Touch(addr, n*mm.PAGE_SIZE, 0, false, 0)
					if err := p.SwapOn(-1); err != nil {
						t.Errorf("swapon: %v", err)
					}
				}
			}
			p.Ftruncate(fd, 3*mm.PAGE_SIZE+5)
			p.Pread(fd, 0, 8*mm.PAGE_SIZE)
		})
		finish(t, m)
		if s := m.Log.String(); strings.Contains(s, "BUG") || strings.Contains(s, "WARNING") || strings.Contains(s, "swap_free") {
			t.Fatalf("seed %d: kernel log:\n%s", seed, s)
		}
	}
}
