// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"testing"

	"pagesim/fs"
	"pagesim/mm"
	"pagesim/sim"
)

// filePage returns the cached page of the process's file fd at index.
func filePage(t *testing.T, p *Process, fd int, index uint64) *mm.Page {
	t.Helper()
	f := p.files[fd]
	pfn, ok := p.m.MM.FindGetPage(f.Inode.Mapping, index)
	if !ok {
		t.Errorf("page %d not cached", index)
		return &mm.Page{}
	}
	p.m.MM.PutPage(pfn)
	return p.m.MM.Page(pfn)
}

// TestFileMappings checks the file-mapping rules of v3.16: a read fault
// maps the page-cache page itself (page_add_file_rmap: mapcount, rss
// MM_FILEPAGES) and fault-around maps its cached neighbours; a write to a
// private mapping copies (do_cow_fault / do_wp_page) and leaves the file
// unchanged; a write to a shared mapping goes through ->page_mkwrite and
// dirties the page; writeback write-protects it (page_mkclean) so the next
// write faults and dirties it again; truncate unmaps and removes mapped
// pages, and an access past the new end gets SIGBUS.
func TestFileMappings(t *testing.T) {
	for _, dir := range []string{"/mnt/ext4", "/mnt/xfs"} {
		t.Run(dir, func(t *testing.T) {
			m := bootWithDisks(t, sim.RoundRobin, 1)
			m.Spawn("mapper", func(p *Process) {
				fd, _ := p.Open(dir+"/f", true)
				p.Pwrite(fd, 0, 32*mm.PAGE_SIZE, 21)

				// Shared mapping: read faults.
				sh, err := p.MmapFile(fd, 0, 32*mm.PAGE_SIZE, true, true)
				if err != nil {
					t.Error(err)
					return
				}
				p.Touch(sh+5*mm.PAGE_SIZE, 1, 0, false, 0)
				pg := filePage(t, p, fd, 5)
				if pg.Mapcount() != 1 {
					t.Errorf("read-faulted file page mapcount %d, want 1", pg.Mapcount())
				}
				if nb := filePage(t, p, fd, 6); nb.Mapcount() != 1 {
					t.Errorf("fault-around did not map the cached neighbour (mapcount %d)", nb.Mapcount())
				}
				if p.MM.RSS(mm.MM_FILEPAGES) < 2 {
					t.Errorf("MM_FILEPAGES %d after fault-around", p.MM.RSS(mm.MM_FILEPAGES))
				}

				// Private mapping: a write copies.
				pr, _ := p.MmapFile(fd, 0, 32*mm.PAGE_SIZE, true, false)
				p.Touch(pr+7*mm.PAGE_SIZE, 1, 0, true, 99)
				p.Touch(pr+7*mm.PAGE_SIZE, 1, 0, false, 0)
				p.Pread(fd, 7*mm.PAGE_SIZE, mm.PAGE_SIZE) // the oracle checks the file kept 21

				// Shared write: page_mkwrite dirties; fsync cleans and
				// write-protects; the next write faults again.
				p.Fsync(fd, false)
				p.Touch(sh+9*mm.PAGE_SIZE, 1, 0, true, 77)
				if !filePage(t, p, fd, 9).PageDirty() {
					t.Errorf("shared write left the page clean")
				}
				p.Fsync(fd, false)
				if filePage(t, p, fd, 9).PageDirty() {
					t.Errorf("page still dirty after fsync")
				}
				faults := p.m.MM.VMEvent(mm.PGFAULT)
				p.Touch(sh+9*mm.PAGE_SIZE, 1, 0, true, 78)
				if p.m.MM.VMEvent(mm.PGFAULT) != faults+1 || !filePage(t, p, fd, 9).PageDirty() {
					t.Errorf("write after writeback: faults %d -> %d, dirty %v; want a write-protect fault redirtying the page",
						faults, p.m.MM.VMEvent(mm.PGFAULT), filePage(t, p, fd, 9).PageDirty())
				}
				p.Pread(fd, 9*mm.PAGE_SIZE, mm.PAGE_SIZE) // reads 78 through the cache

				// Truncate removes mapped pages.
				p.Ftruncate(fd, 4*mm.PAGE_SIZE)
				if n := p.files[fd].Inode.Mapping.NrPages(); n != 4 {
					t.Errorf("nrpages %d after truncating a mapped file to 4 pages", n)
				}
				if err := p.Touch(sh+10*mm.PAGE_SIZE, 1, 0, false, 0); err != EFAULT {
					t.Errorf("access past EOF: %v, want EFAULT (SIGBUS)", err)
				}
				// The private copy survives truncate (even_cows unmaps
				// it too in truncate_pagecache; a new read faults the
				// file and gets SIGBUS).
				if err := p.Msync(sh, 4*mm.PAGE_SIZE, true); err != nil {
					t.Errorf("msync: %v", err)
				}
			})
			finish(t, m)
		})
	}
}

// TestTruncateWaitsForWrite checks the i_mutex rule of v3.16: a write()
// holds the inode's i_mutex over its whole copy (generic_file_write_iter,
// xfs_rw_ilock with XFS_IOLOCK_EXCL), and do_truncate takes it too, so a
// truncate issued while a long write is throttled in balance_dirty_pages
// runs after the write, never between two of its pages. Found by the
// fuzzer: without i_mutex the truncate cut pages the write had copied
// and the write went on past them.
func TestTruncateWaitsForWrite(t *testing.T) {
	for _, dir := range []string{"/mnt/ext4", "/mnt/xfs"} {
		t.Run(dir, func(t *testing.T) {
			m := bootWithDisks(t, sim.RoundRobin, 1)
			const size = 32 << 20
			var writeDone, truncDone int64
			m.Spawn("writer", func(p *Process) {
				if err := p.Sysctl("vm.dirty_bytes", 1<<20); err != nil {
					t.Error(err)
				}
				fd, _ := p.Open(dir+"/f", true)
				if n, err := p.Pwrite(fd, 0, size, 7); n != size || err != nil {
					t.Errorf("pwrite = %d, %v", n, err)
				}
				writeDone = m.Sched.Now()
			})
			m.Spawn("truncater", func(p *Process) {
				p.Sleep(1e6) // the writer is throttled by now
				fd, _ := p.Open(dir+"/f", true)
				if err := p.Ftruncate(fd, mm.PAGE_SIZE); err != nil {
					t.Error(err)
				}
				truncDone = m.Sched.Now()
				if got := p.files[fd].Inode.ISize(); got != mm.PAGE_SIZE {
					t.Errorf("size after truncate %d, want %d", got, mm.PAGE_SIZE)
				}
			})
			finish(t, m)
			if writeDone <= 1e6 {
				t.Fatalf("the write finished at %dns, before the truncate was issued: the test does not exercise the rule", writeDone)
			}
			if truncDone < writeDone {
				t.Errorf("truncate returned at %dns, inside the write (returned at %dns)", truncDone, writeDone)
			}
		})
	}
}

// TestTruncateHolePage checks that truncate's zeroing of the tail of a
// cached page that holds only zeroes (read in from a hole) leaves it a
// page of zeroes, as the program's view of the file has it (the oracle
// found a false data-integrity report here: zeroes written over zeroes
// changed the page's content token).
func TestTruncateHolePage(t *testing.T) {
	m := bootWithDisks(t, sim.RoundRobin, 1)
	m.Spawn("t", func(p *Process) {
		fd, _ := p.Open("/mnt/ext4/f", true)
		p.Pwrite(fd, 256<<10, 64<<10, 5) // pages 0..63 are a hole
		p.Pread(fd, 0, 16<<10)           // and now cached, zero-filled
		if err := p.Ftruncate(fd, 4*mm.PAGE_SIZE-1); err != nil {
			t.Error(err)
		}
		p.Pread(fd, 0, 16<<10)
	})
	finish(t, m)
}

// TestDelallocENOSPC checks delayed allocation's reservation rule (ext4_da_
// reserve_space, xfs_iomap_write_delay): a write over holes reserves a
// block per page, so a write that would need more blocks than the
// filesystem has left fails with ENOSPC after the pages that fit (and
// never leaves dirty pages writeback cannot place); truncate and the
// last close of an unlinked file give their blocks back for reuse.
func TestDelallocENOSPC(t *testing.T) {
	for _, typ := range []string{"ext4", "xfs"} {
		t.Run(typ, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.MemBytes = 256 << 20
			const disk = 8 << 20 // 2048 blocks, one of them the superblock's
			cfg.Mounts = []MountSpec{{Type: typ, Path: "/mnt", SizeBytes: disk}}
			m, err := Boot(cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(m.Close)
			m.Spawn("w", func(p *Process) {
				fd, _ := p.Open("/mnt/a", true)
				// A write stops short where the space ends (write(2)
				// returns what it wrote); the next one gets ENOSPC.
				n, err := p.Pwrite(fd, 0, 2*disk, 1)
				if err != nil || n != disk-mm.PAGE_SIZE {
					t.Errorf("pwrite past the disk = %d, %v; want %d", n, err, disk-mm.PAGE_SIZE)
				}
				if n, err := p.Pwrite(fd, disk, mm.PAGE_SIZE, 1); err != fs.ENOSPC {
					t.Errorf("pwrite on a full disk = %d, %v; want ENOSPC", n, err)
				}
				if err := p.Fsync(fd, false); err != nil {
					t.Errorf("fsync: %v", err)
				}
				// Truncate gives half the blocks back: they can be
				// written again, by another file.
				if err := p.Ftruncate(fd, disk/2); err != nil {
					t.Error(err)
				}
				fd2, _ := p.Open("/mnt/b", true)
				if n, err := p.Pwrite(fd2, 0, disk/4, 2); n != disk/4 || err != nil {
					t.Errorf("pwrite after truncate = %d, %v", n, err)
				}
				// An unlinked file's blocks come back at its last close.
				p.Unlink("/mnt/a")
				if err := p.Close(fd); err != nil {
					t.Error(err)
				}
				fd3, _ := p.Open("/mnt/c", true)
				if n, err := p.Pwrite(fd3, 0, disk/2, 3); n != disk/2 || err != nil {
					t.Errorf("pwrite after the unlinked file went = %d, %v", n, err)
				}
				p.Fsync(fd2, false)
				p.Fsync(fd3, false)
			})
			finish(t, m)
		})
	}
}

// TestSharedWriteAfterReadFault checks vma_wants_writenotify: a shared
// writable mapping of an ext4 or xfs file (->page_mkwrite, dirty
// accounting) is mapped read-only by a read fault, so the first write
// faults again and dirties the page then, through ->page_mkwrite. Found
// by pagesim fuzz: the model mapped it writable, a store dirtied only the
// PTE, and drop_caches could throw the data away once the mapping went.
func TestSharedWriteAfterReadFault(t *testing.T) {
	for _, dir := range []string{"/mnt/ext4", "/mnt/xfs"} {
		t.Run(dir, func(t *testing.T) {
			m := bootWithDisks(t, sim.RoundRobin, 1)
			m.Spawn("w", func(p *Process) {
				fd, _ := p.Open(dir+"/f", true)
				p.Ftruncate(fd, mm.PAGE_SIZE)
				a, err := p.MmapFile(fd, 0, mm.PAGE_SIZE, true, true)
				if err != nil {
					t.Fatal(err)
				}
				p.Touch(a, 1, 0, false, 0)
				if pg := filePage(t, p, fd, 0); pg.PageDirty() {
					t.Errorf("a read fault dirtied the page")
				}
				p.Touch(a, 1, 0, true, 5)
				if pg := filePage(t, p, fd, 0); !pg.PageDirty() {
					t.Errorf("a write after a read fault left the page clean: the PTE was writable")
				}
			})
			finish(t, m)
		})
	}
}

// TestWritepageZeroesTailStoredAfterTruncate checks v3.16's
// xfs_vm_writepage and ext4_bio_write_page: the part of the last page past
// EOF is zeroed at every writeback (zero_user_segment), including bytes
// stored there through a shared mapping after a truncate cut the page.
// truncate_pagecache unmaps only the pages wholly past the new end, so the
// cut page stays mapped writable and such a store takes no fault.
func TestWritepageZeroesTailStoredAfterTruncate(t *testing.T) {
	for _, dir := range []string{"/mnt/ext4", "/mnt/xfs"} {
		t.Run(dir, func(t *testing.T) {
			m := bootWithDisks(t, sim.RoundRobin, 1)
			const size = mm.PAGE_SIZE + 2048
			m.Spawn("mapper", func(p *Process) {
				fd, _ := p.Open(dir+"/f", true)
				p.Pwrite(fd, 0, 2*mm.PAGE_SIZE, 21)
				a, err := p.MmapFile(fd, 0, 2*mm.PAGE_SIZE, true, true)
				if err != nil {
					t.Fatal(err)
				}
				p.Touch(a+mm.PAGE_SIZE, 1, 0, true, 22) // page_mkwrite: the PTE becomes writable
				if err := p.Ftruncate(fd, size); err != nil {
					t.Fatal(err)
				}
				p.Touch(a+mm.PAGE_SIZE+3000, 1, 0, true, 23) // past EOF, no fault
				p.Fsync(fd, false)
				if got, want := filePage(t, p, fd, 1).Data(), mm.ZeroSegmentToken(23, 2048, mm.PAGE_SIZE); got != want {
					t.Errorf("after writeback the cut page holds %#x, want %#x (its tail past EOF zeroed)", got, want)
				}
			})
			if res := m.Run(0); res.Failed() {
				t.Fatalf("%+v\n%s", res, m.Log.String())
			}
		})
	}
}
