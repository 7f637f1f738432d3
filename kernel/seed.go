// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"pagesim/klog"
	"pagesim/mm"
)

// The founding case's workload (../shared/seed, docs/writeback-regression.md):
// ordinary system calls that, on v3.16-rc1, leave a dirty xfs or ext4 page
// PageSwapBacked after compaction, so that direct reclaim hands it to the
// filesystem's ->writepage. Nothing in the model refers to it;
// kernel/seed_test.go runs it. The seed-writeback example
// (examples/seed-writeback.prog) is the same calls, in the program
// language, for SeedWorkload("shmem", true) on
// SeedConfig("v3.16-rc1", nil, "xfs", true): a change to one should be
// made to the other.

// Sizes of the workload, chosen for a 128 MiB machine.
const (
	// SeedPairs is how many (file page, swap-backed page) pairs are made.
	SeedPairs = 128
	// seedBallastBytes is touched before the pairs and three pages in four
	// released after them, so that free memory above the pairs is
	// fragmented: compaction's free scanner takes no free block of
	// pageblock order or more.
	seedBallastBytes = 48 << 20
)

// SeedConfig is the machine the workload expects: 128 MiB, the data
// filesystem fsType ("xfs" or "ext4") at /mnt/data, tmpfs at /dev/shm, and
// 256 MiB of swap if swap is set.
func SeedConfig(kernelName string, patches []string, fsType string, swap bool) Config {
	cfg := DefaultConfig()
	cfg.MemBytes = 128 << 20
	if swap {
		cfg.SwapBytes = 256 << 20
	}
	cfg.Kernel = kernelName
	cfg.Patches = patches
	cfg.Mounts = []MountSpec{{Type: fsType, Path: "/mnt/data", SizeBytes: 1 << 30}, {Type: "tmpfs", Path: "/dev/shm", SizeBytes: 64 << 20}}
	return cfg
}

// SeedWorkload is the founding case, in the order the thread reconstructs
// it:
//
//  0. the machine has been running a while: free memory above the pairs
//     is fragmented;
//  1. trinity-c61 dirties pages of a file, each followed by a swap-backed
//     page: shmem, or an anon page that has been swapped out and read back
//     so that it is in the swap cache (compaction skips a pinned anon page
//     without a mapping). Consecutive allocations sit side by side, so in
//     some pageblock a swap-backed page is the page compaction migrates
//     just before a file page;
//  2. its child pins the swap-backed pages for a second, as direct I/O
//     does;
//  3. the parent writes /proc/sys/vm/compact_memory;
//  4. the parent faults in more anonymous memory than the machine has
//     free (without swap: as much as reclaim of the page cache can give).
type SeedWorkload struct {
	Backing  string // "shmem" or "anon": what the child pins
	Pairs    int
	Pressure uint64 // bytes of anonymous memory faulted in at step 4
	// SwapOut is the anonymous memory faulted in, then unmapped, to push
	// the anon backing pages out to swap before step 0 (anon only).
	SwapOut uint64
	// AfterCompaction, if set, runs in trinity-c61 right after step 3.
	AfterCompaction func(p *Process)
	// After, if set, runs in trinity-c61 after step 4 (with the pressure
	// unmapped), given the data file's descriptor.
	After func(p *Process, fd int)
	// Err receives a failed call; by default it is printed to the log.
	Err func(what string, err error)
}

// NewSeedWorkload is the workload with its standard sizes.
func NewSeedWorkload(backing string, swap bool) *SeedWorkload {
	// SwapOut: where the swapped-in anon pages land, and so whether
	// compaction finds them between the file pages, depends on how
	// reclaim ordered its LRU lists on the way out. With v3.16's LRU
	// order, of the sizes tried (144 to 176 MiB by 4, 184, 192) all give
	// the founding case but 156 and 160 MiB.
	w := &SeedWorkload{Backing: backing, Pairs: SeedPairs, Pressure: 160 << 20, SwapOut: 168 << 20}
	if !swap {
		w.Pressure = 72 << 20
		w.SwapOut = w.Pressure
	}
	return w
}

// Spawn starts the workload's process on m.
func (w *SeedWorkload) Spawn(m *Machine) {
	fail := func(what string, err error) {
		switch {
		case err == nil:
		case w.Err != nil:
			w.Err(what, err)
		default:
			m.Log.Printk(klog.KernErr, "seed workload: %s: %v\n", what, err)
		}
	}
	m.Spawn("trinity-c61", func(p *Process) {
		size := uint64(w.Pairs) * mm.PAGE_SIZE
		var anon uint64
		if w.Backing == "anon" {
			// The anon pages go out to swap under pressure first.
			var err error
			anon, err = p.Mmap(size, true)
			fail("mmap anon", err)
			fail("touch anon", p.Touch(anon, size, 0, true, 1))
			hog, err := p.Mmap(w.SwapOut, true)
			fail("mmap hog", err)
			fail("touch hog", p.Touch(hog, w.SwapOut, 0, true, 4))
			fail("munmap hog", p.Munmap(hog, w.SwapOut))
			// Let kswapd finish and go back to sleep.
			fail("sleep", p.Sleep(1e9))
		}
		// 0. Used memory, fragmented once the pairs exist: whatever the
		// free lists held, small blocks first, then whole blocks from the
		// top of the zone down, is taken before the pairs are.
		ballast, err := p.Mmap(seedBallastBytes, true)
		fail("mmap ballast", err)
		fail("touch ballast", p.Touch(ballast, seedBallastBytes, 0, true, 9))
		// 1. File pages and swap-backed pages, allocated alternately.
		dfd, err := p.Open("/mnt/data/file", true)
		fail("open file", err)
		var sfd int
		if w.Backing == "shmem" {
			sfd, err = p.Open("/dev/shm/seg", true)
			fail("open tmpfs", err)
		}
		for i := int64(0); i < int64(w.Pairs); i++ {
			_, err = p.Pwrite(dfd, i*mm.PAGE_SIZE, mm.PAGE_SIZE, 2)
			fail("write file", err)
			switch w.Backing {
			case "shmem":
				_, err = p.Pwrite(sfd, i*mm.PAGE_SIZE, mm.PAGE_SIZE, 1)
				fail("write tmpfs", err)
			case "anon":
				// A read fault brings the page back from swap (with its
				// readahead cluster); it stays in the swap cache.
				fail("read anon", p.Touch(anon+uint64(i)*mm.PAGE_SIZE, 1, 0, false, 0))
			}
		}
		pinAddr := anon
		if w.Backing == "shmem" {
			pinAddr, err = p.MmapFile(sfd, 0, size, true, true)
			fail("mmap tmpfs", err)
		}
		// Keep one ballast page in four: the free scanner finds three in
		// four free above the pairs, and the migrate scanner has little
		// to move below them.
		for a := ballast; a < ballast+seedBallastBytes; a += 4 * mm.PAGE_SIZE {
			fail("madvise ballast", p.Madvise(a+mm.PAGE_SIZE, 3*mm.PAGE_SIZE, mm.MADV_DONTNEED))
		}
		// 2. The child pins the swap-backed pages for a second.
		_, err = p.Fork("trinity-c62", func(c *Process) {
			fail("pin", c.Pin(pinAddr, size, false, 1e9))
		})
		fail("fork", err)
		fail("sleep", p.Sleep(1e6))
		// 3. Compaction while the pins are held.
		fail("compact_memory", p.CompactMemory())
		if w.AfterCompaction != nil {
			w.AfterCompaction(p)
		}
		// 4. Memory pressure from page faults.
		addr, err := p.Mmap(w.Pressure, true)
		fail("mmap pressure", err)
		fail("touch pressure", p.Touch(addr, w.Pressure, 0, true, 3))
		if w.After != nil {
			fail("munmap pressure", p.Munmap(addr, w.Pressure))
			w.After(p, dfd)
		}
	})
}
