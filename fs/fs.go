// SPDX-License-Identifier: GPL-2.0-only

// Package fs models the VFS side of file I/O (fs/*.c, block/): superblocks,
// inodes, open files, the read/write/fsync/truncate/unlink paths, buffer
// heads, the block device and the flusher. Filesystems (fs/ext4, fs/xfs)
// supply their address_space operations.
package fs

import (
	"errors"
	"slices"
	"sort"

	"pagesim/klog"
	"pagesim/mm"
	"pagesim/sim"
)

func init() {
	klog.RegisterPackage("pagesim/fs", "")
	// ext4_da_write_begin and xfs_vm_write_begin grab the page and call
	// __block_write_begin themselves: the shared helper leaves no frame.
	klog.HideFunc("pagesim/fs.(*FS).BlockWriteBeginPage")
}

// Errnos the VFS calls return.
var (
	ENOENT = errors.New("ENOENT")
	EEXIST = errors.New("EEXIST")
	EBADF  = errors.New("EBADF")
	EINVAL = errors.New("EINVAL")
	EFBIG  = errors.New("EFBIG")
	ENOSPC = errors.New("ENOSPC")
	EIO    = errors.New("EIO")
	ENOMEM = errors.New("ENOMEM")
)

// Type is a filesystem type: what it gives each new inode's address space.
type Type interface {
	Name() string
	// NewInodeOps returns the address_space operations for an inode.
	NewInodeOps(f *FS, sb *SuperBlock, ino *Inode) mm.AddressSpaceOps
}

// MemType is a filesystem type that keeps its files in memory, with no
// block device and no flusher (tmpfs): it sets up the superblock's
// backing_dev_info, and its own read, size change and eviction replace the
// page-cache paths of block filesystems.
type MemType interface {
	Type
	// FillSuper is the type's fill_super for a mount of sizeBytes.
	FillSuper(f *FS, sb *SuperBlock, sizeBytes uint64)
	// Read is the type's read_iter; it returns each copy's page index
	// and content token.
	Read(f *FS, file *File, pos, length int64) ([]mm.PageRead, error)
	// Setsize is the size change of the type's setattr, after i_size
	// was set.
	Setsize(f *FS, ino *Inode, oldsize, newsize int64)
	// Evict is the type's evict_inode.
	Evict(f *FS, ino *Inode)
}

// FS is the VFS of one machine.
type FS struct {
	Sys   *mm.System
	Sched *sim.Scheduler
	Log   *klog.Log

	supers  []*SuperBlock
	paths   map[string]*Inode
	nextIno uint64
	bhs     bhSlab

	// Zeroed, if set, is told each time a ->writepage zeroes [from, to)
	// of file page index of ino (ZeroUserSegment): the data-integrity
	// oracle follows the page's contents through it.
	Zeroed func(ino *Inode, index uint64, from, to int64)
}

// ZeroUserSegment is zero_user_segment() on a file page, which ext4's and
// xfs's ->writepage do to the part of the last page past EOF: [from, to)
// of it becomes zeroes. Only bytes written there through a shared mapping
// (Inode.tailWritten) can be other than zeroes; then the page's content
// token changes (mm.ZeroSegmentToken) and FS.Zeroed is told.
func (f *FS) ZeroUserSegment(ino *Inode, pfn uint64, from, to int64) {
	p := f.Sys.Page(pfn)
	if !ino.tailWritten[p.Index()] {
		return // zeroes over zeroes
	}
	delete(ino.tailWritten, p.Index())
	p.SetData(mm.ZeroSegmentToken(p.Data(), from, to))
	if f.Zeroed != nil {
		f.Zeroed(ino, p.Index(), from, to)
	}
}

// New makes the VFS for a booted mm.
func New(sys *mm.System, sched *sim.Scheduler, log *klog.Log) *FS {
	f := &FS{Sys: sys, Sched: sched, Log: log, paths: map[string]*Inode{}, nextIno: 12}
	sys.SetBufferLayer(f)
	return f
}

// SuperBlock is struct super_block: one mounted filesystem.
type SuperBlock struct {
	fs         *FS
	Type       Type
	MountPoint string
	Dev        *BlockDevice
	BDI        *mm.BackingDevInfo
	// The block allocator: block 0 is the superblock's; blocks below
	// nextBlock have been handed out, and those given back since are on
	// freed, reused last in first out. reserved counts delayed
	// allocations (dirty pages with no block yet) that are promised a
	// block when they are written back.
	nextBlock uint64
	nrBlocks  uint64
	freed     []uint64
	reserved  uint64
	// Private is the filesystem's (s_fs_info).
	Private any
	wb      *bdiWriteback
}

// freeBlocks is how many blocks are neither in use nor the superblock's.
func (sb *SuperBlock) freeBlocks() uint64 {
	return sb.nrBlocks - sb.nextBlock + uint64(len(sb.freed))
}

// ReserveDelalloc reserves a block for a page being dirtied over a hole
// (ext4_da_reserve_space, xfs_iomap_write_delay's reservation), so that
// writeback will find one: ENOSPC when every free block is spoken for,
// and the write(2) that asked fails with it.
//
// Model: ext4's root-reserved blocks and metadata reservations, and
// xfs's per-AG accounting and speculative preallocation, are not
// modeled; a block is a page.
func (sb *SuperBlock) ReserveDelalloc() error {
	if sb.freeBlocks() <= sb.reserved {
		return ENOSPC
	}
	sb.reserved++
	return nil
}

// ReleaseDelalloc gives back a reservation whose page went away unwritten
// (invalidated by truncate).
func (sb *SuperBlock) ReleaseDelalloc() {
	if sb.reserved == 0 {
		panic("fs: delayed-allocation reservation released twice")
	}
	sb.reserved--
}

// AllocDelalloc turns a reservation into a block, at writeback.
func (sb *SuperBlock) AllocDelalloc() uint64 {
	sb.ReleaseDelalloc()
	if n := len(sb.freed); n > 0 {
		b := sb.freed[n-1]
		sb.freed = sb.freed[:n-1]
		return b
	}
	b := sb.nextBlock
	sb.nextBlock++
	return b
}

// freeFileBlocks gives back the file's blocks from file block first on
// (truncate, evict), in file order so that reuse is deterministic.
func (sb *SuperBlock) freeFileBlocks(ino *Inode, first uint64) {
	var blks []uint64
	for blk := range ino.Blocks {
		if blk >= first {
			blks = append(blks, blk)
		}
	}
	slices.Sort(blks)
	for _, blk := range blks {
		sb.freed = append(sb.freed, ino.Blocks[blk])
		delete(ino.Blocks, blk)
	}
}

// Mount mounts a filesystem of type t at mountPoint on a new block device
// of the given size and per-request latency, and starts its flusher.
func (f *FS) Mount(t Type, mountPoint string, sizeBytes uint64, latencyNS int64) (*SuperBlock, error) {
	for _, sb := range f.supers {
		if sb.MountPoint == mountPoint {
			return nil, EEXIST
		}
	}
	if mt, ok := t.(MemType); ok {
		// A memory filesystem: no device, no flusher (tmpfs hook).
		sb := &SuperBlock{fs: f, Type: t, MountPoint: mountPoint}
		mt.FillSuper(f, sb, sizeBytes)
		f.supers = append(f.supers, sb)
		return sb, nil
	}
	dev := NewBlockDevice("sd"+string(rune('a'+len(f.supers))), latencyNS, f.Sched, f.Sys)
	sb := &SuperBlock{fs: f, Type: t, MountPoint: mountPoint, Dev: dev, BDI: dev.BDI, nextBlock: 1, nrBlocks: sizeBytes / BlockSize}
	f.supers = append(f.supers, sb)
	f.Sys.RegisterBDI(sb.BDI)
	f.startFlusher(sb)
	return sb, nil
}

// Inode is struct inode with its address_space.
type Inode struct {
	sb      *SuperBlock
	ino     uint64
	size    int64
	Mapping *mm.AddressSpace
	// state holds I_DIRTY_* while the inode is on the dirty list.
	state       int
	dirtiedWhen int64
	nlink       int
	evicted     bool // evict() has run: the inode is unhashed
	opens       int
	// Blocks maps file block to disk block (the extent tree, flattened).
	Blocks map[uint64]uint64
	// Private is the filesystem's per-inode data.
	Private any
	// tailWritten holds the indexes of pages that straddled EOF when a
	// shared mapping was given write access to them (page_mkwrite), or
	// that a truncate cut while they may be mapped writable: the part
	// past EOF may hold bytes written through the mapping until a
	// ->writepage zeroes it (ZeroUserSegment).
	// Past EOF, every other page holds zeroes, which zeroing leaves as
	// they are.
	tailWritten map[uint64]bool
	// iMutex is inode->i_mutex: writes, truncates and unlinks of one
	// file are serialized by it (reads and faults do not take it).
	iMutex sim.Mutex
}

// ISize is i_size_read().
func (i *Inode) ISize() int64 { return i.size }

// SetISize is i_size_write().
func (i *Inode) SetISize(n int64) { i.size = n }

// Ino is the inode number.
func (i *Inode) Ino() uint64 { return i.ino }

// SB is the inode's superblock.
func (i *Inode) SB() *SuperBlock { return i.sb }

// MarkInodeDirty is __mark_inode_dirty(): an inode that becomes dirty goes
// on its bdi's dirty list with dirtied_when now.
func (i *Inode) MarkInodeDirty(flags int) {
	if i.state&flags == flags {
		return
	}
	wasDirty := i.state&(mm.I_DIRTY_SYNC|mm.I_DIRTY_DATASYNC|mm.I_DIRTY_PAGES) != 0
	i.state |= flags
	// An inode the flusher is writing (I_SYNC) stays off the lists:
	// requeue_inode places it once written.
	// tmpfs inodes are never hashed, so they join no dirty list.
	// An unlinked inode that is still open is still hashed: its pages
	// are written back like any other's until evict() unhashes it.
	if !wasDirty && i.state&I_SYNC == 0 && !i.evicted && i.sb.wb != nil {
		// The first dirty inode of the device queues the worker's
		// delayed run.
		wakeup := !i.sb.wb.HasDirtyIO()
		i.dirtiedWhen = i.sb.fs.Sched.Now()
		i.sb.wb.bDirty = append(i.sb.wb.bDirty, i)
		if wakeup {
			i.sb.wb.wakeupDelayed()
		}
	}
}

// File is an open file.
type File struct {
	Inode *Inode
	RA    mm.FileRAState
}

func (f *FS) superFor(path string) *SuperBlock {
	var best *SuperBlock
	for _, sb := range f.supers {
		mp := sb.MountPoint
		if len(path) > len(mp) && path[:len(mp)] == mp && path[len(mp)] == '/' && (best == nil || len(mp) > len(best.MountPoint)) {
			best = sb
		}
	}
	return best
}

// Open opens path, creating it if create is set (O_CREAT).
func (f *FS) Open(path string, create bool) (*File, error) {
	ino, ok := f.paths[path]
	if !ok {
		if !create {
			return nil, ENOENT
		}
		sb := f.superFor(path)
		if sb == nil {
			return nil, ENOENT
		}
		f.nextIno++
		ino = &Inode{sb: sb, ino: f.nextIno, nlink: 1, Blocks: map[uint64]uint64{}}
		ino.Mapping = f.Sys.NewAddressSpace(ino, sb.Type.NewInodeOps(f, sb, ino), sb.BDI)
		f.paths[path] = ino
	}
	ino.opens++
	return &File{Inode: ino, RA: mm.NewFileRAState()}, nil
}

// Dup is get_file(): another reference to an open file (fork, dup); the
// file and its offset are shared.
func (f *FS) Dup(file *File) *File {
	file.Inode.opens++
	return file
}

// Close is fput() of the last reference: an unlinked inode with no opens
// left is evicted.
func (f *FS) Close(file *File) {
	ino := file.Inode
	ino.opens--
	if ino.opens == 0 && ino.nlink == 0 {
		f.evictInode(ino)
	}
}

// Write is vfs_write() -> generic_file_aio_write(): the page-cache write
// of length bytes of data token at pos, then i_size grows as write_end
// says. copied, if not nil, is told of each page as it takes the data
// (mm.GenericPerformWriteNotify).
func (f *FS) Write(file *File, pos, length int64, token uint64, copied func(index uint64, offset, bytes int64)) (int64, error) {
	if pos < 0 || length < 0 {
		return 0, EINVAL
	}
	if length == 0 {
		return 0, nil
	}
	if pos+length > 1<<43 {
		return 0, EFBIG
	}
	// generic_file_write_iter (ext4_file_write_iter, xfs_rw_ilock with
	// XFS_IOLOCK_EXCL) holds i_mutex over the whole copy, so a truncate
	// cannot cut the file between two of its pages.
	ino := file.Inode
	ino.iMutex.Lock(f.Sched.Current())
	n, err := f.Sys.GenericPerformWriteNotify(ino.Mapping, pos, length, token, copied)
	ino.iMutex.Unlock()
	if err != nil {
		return n, mapErr(err)
	}
	return n, nil
}

// Read is vfs_read() -> generic_file_aio_read(): the page-cache read; it
// returns each copy's page index, content token and length (mm.PageRead).
// No size is checked first, as in v3.16: the read goes by i_size page by
// page, so it sees a file that grows or shrinks meanwhile, and a read at
// EOF of an uncached page still reads that page into the cache.
func (f *FS) Read(file *File, pos, length int64) ([]mm.PageRead, error) {
	if pos < 0 || length < 0 {
		return nil, EINVAL
	}
	if length == 0 {
		return nil, nil
	}
	if mt, ok := file.Inode.sb.Type.(MemType); ok {
		toks, err := mt.Read(f, file, pos, length) // tmpfs hook
		return toks, mapErr(err)
	}
	toks, err := f.Sys.DoGenericFileRead(file.Inode.Mapping, &file.RA, pos, length)
	return toks, mapErr(err)
}

// Fsync is vfs_fsync_range() for the whole file: write and wait for the
// data (filemap_write_and_wait_range), then the inode.
//
// Model: the journal commit and the inode write are not modeled; fsync
// returns once the data pages' writeback has completed.
func (f *FS) Fsync(file *File, datasync bool) error {
	ino := file.Inode
	if _, ok := ino.sb.Type.(MemType); ok {
		return nil // noop_fsync (tmpfs hook)
	}
	err := f.Sys.FilemapWriteAndWaitRange(ino.Mapping, 0, mm.LLONG_MAX)
	if ino.state&mm.I_DIRTY_PAGES != 0 && ino.Mapping.NrPages() == 0 {
		ino.state &^= mm.I_DIRTY_PAGES
	}
	return mapErr(err)
}

// Truncate is do_truncate() -> truncate_setsize(): drop the pages past the
// new size (zeroing the cut tail of a partial page) and free their blocks.
// It returns the size the file had, read under i_mutex. locked, if not
// nil, is called once i_mutex is held, before anything changes (the
// data-integrity oracle records there what the truncate will leave).
func (f *FS) Truncate(file *File, size int64, locked func()) (old int64, err error) {
	if size < 0 {
		return 0, EINVAL
	}
	ino := file.Inode
	ino.iMutex.Lock(f.Sched.Current())
	defer ino.iMutex.Unlock()
	if locked != nil {
		locked()
	}
	old = ino.size
	ino.size = size
	if mt, ok := ino.sb.Type.(MemType); ok {
		mt.Setsize(f, ino, old, size) // tmpfs hook
	} else if size < old {
		// The cut page's tail is zeroed here, and the pages past it go.
		// The cut page stays mapped as it was (truncate_pagecache unmaps
		// only the pages wholly past the end): a store through a
		// writable mapping may land past EOF without a fault, so its
		// tail is marked for the next ->writepage to zero. Zeroing the
		// range truncate zeroed changes nothing if no store came.
		cut := uint64(size) >> mm.PAGE_SHIFT
		for idx := range ino.tailWritten {
			if idx > cut {
				delete(ino.tailWritten, idx)
			}
		}
		if size&(mm.PAGE_SIZE-1) != 0 {
			if ino.tailWritten == nil {
				ino.tailWritten = map[uint64]bool{}
			}
			ino.tailWritten[cut] = true
		}
		f.Sys.TruncatePagecache(ino.Mapping, size)
		ino.sb.freeFileBlocks(ino, uint64(size+BlockSize-1)/BlockSize)
		if err := f.BlockTruncatePage(ino, size); err != nil {
			return old, mapErr(err)
		}
	}
	ino.MarkInodeDirty(mm.I_DIRTY_SYNC)
	return old, nil
}

// Unlink removes path; the inode goes when the last open file closes.
func (f *FS) Unlink(path string) error {
	ino, ok := f.paths[path]
	if !ok {
		return ENOENT
	}
	// vfs_unlink holds the target's i_mutex while it drops the link;
	// the lookup is repeated once it is held, as the parent directory's
	// i_mutex (not modeled) would have kept the name from going meanwhile.
	ino.iMutex.Lock(f.Sched.Current())
	if f.paths[path] != ino {
		ino.iMutex.Unlock()
		return ENOENT
	}
	delete(f.paths, path)
	ino.nlink--
	ino.iMutex.Unlock()
	if ino.nlink == 0 && ino.opens == 0 {
		f.evictInode(ino)
	}
	return nil
}

// evictInode is evict(): truncate the page cache (truncate_inode_pages_final)
// and take the inode off the writeback lists.
func (f *FS) evictInode(ino *Inode) {
	ino.evicted = true
	if mt, ok := ino.sb.Type.(MemType); ok {
		mt.Evict(f, ino) // tmpfs hook
		ino.state = 0
		return
	}
	f.Sys.TruncateInodePages(ino.Mapping, 0)
	ino.sb.freeFileBlocks(ino, 0)
	ino.sb.wb.remove(ino)
	ino.state = 0
}

// Paths lists the files, sorted.
func (f *FS) Paths() []string {
	var out []string
	for p := range f.paths {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Supers lists the mounted filesystems.
func (f *FS) Supers() []*SuperBlock { return f.supers }

func mapErr(err error) error {
	if err == nil {
		return nil
	}
	switch err.Error() {
	case "EIO":
		return EIO
	case "ENOSPC":
		return ENOSPC
	}
	return err
}
