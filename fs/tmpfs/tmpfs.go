// SPDX-License-Identifier: GPL-2.0-only

// Package tmpfs is the tmpfs filesystem type (mm/shmem.c's shmem_fs_type):
// files live in the page cache as shmem pages, with no block device; under
// memory pressure their pages go to swap. The address_space operations,
// the read path and truncation are mm's shmem code.
package tmpfs

import (
	"pagesim/fs"
	"pagesim/klog"
	"pagesim/mm"
)

func init() {
	klog.RegisterPackage("pagesim/fs/tmpfs", "")
	klog.RegisterSymbol("pagesim/fs/tmpfs.Type.Read", "shmem_file_read_iter")
	klog.RegisterSymbol("pagesim/fs/tmpfs.Type.Evict", "shmem_evict_inode")
	klog.RegisterSymbol("pagesim/fs/tmpfs.Type.Setsize", "shmem_setattr")
	klog.RegisterSymbol("pagesim/fs/tmpfs.Type.FillSuper", "shmem_fill_super")
	klog.HideFunc("pagesim/fs/tmpfs.Type.NewInodeOps")
}

// Type is the tmpfs filesystem type.
type Type struct{}

// Name is "tmpfs".
func (Type) Name() string { return "tmpfs" }

// FillSuper is shmem_fill_super(): the mount shares
// shmem_backing_dev_info (no dirty accounting, no writeback, swap-backed)
// and its sbinfo holds the size= limit (sizeBytes, 0 for none).
//
// Model: the inode limit (nr_inodes=) and mount options other than the
// size are not modeled.
func (Type) FillSuper(f *fs.FS, sb *fs.SuperBlock, sizeBytes uint64) {
	sb.BDI = f.Sys.ShmemBDI()
	sb.Private = mm.NewShmemSbInfo(sizeBytes)
}

// NewInodeOps is shmem_get_inode() for a regular file: shmem_aops with
// the inode's shmem_inode_info.
func (Type) NewInodeOps(f *fs.FS, sb *fs.SuperBlock, ino *fs.Inode) mm.AddressSpaceOps {
	return f.Sys.NewShmemInodeOps(sb.Private.(*mm.ShmemSbInfo))
}

// Read is shmem_file_read_iter().
func (Type) Read(f *fs.FS, file *fs.File, pos, length int64) ([]mm.PageRead, error) {
	return f.Sys.ShmemFileRead(file.Inode.Mapping, pos, length)
}

// Setsize is shmem_setattr()'s size change.
func (Type) Setsize(f *fs.FS, ino *fs.Inode, oldsize, newsize int64) {
	f.Sys.ShmemSetattrSize(ino.Mapping, oldsize, newsize)
}

// Evict is shmem_evict_inode().
func (Type) Evict(f *fs.FS, ino *fs.Inode) {
	f.Sys.ShmemEvictInode(ino.Mapping)
}
