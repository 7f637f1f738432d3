// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"errors"
	"fmt"
	"slices"

	"pagesim/fs"
	"pagesim/klog"
	"pagesim/mm"
	"pagesim/sim"
)

// Process is a user process: a task, its address space, its kernel stack
// and its open files. System calls are methods; each runs on the calling
// task, so faults, allocations and I/O waits happen in that task's context
// with its PID, comm and flags, as in the kernel.
type Process struct {
	m      *Machine
	Task   *sim.Task
	MM     *mm.MMStruct
	stack  uint64
	files  map[int]*fs.File
	nextFD int
	// shadow is what this process last wrote at each anonymous page
	// (DESIGN §7), private file pages included once written; fork copies
	// it.
	shadow *anonShadow
	// mapped holds the file behind each file mapping, by start address.
	mapped map[uint64]*fs.File
	parent *sim.Task
	exited bool
	// quiet is set while the process sleeps holding no kernel state in
	// flight (see Quiet).
	quiet bool
}

// Quiet reports whether the process is asleep at a point where it holds no
// kernel state in flight: in sleep(), or in pin() holding its pins (which
// the invariant checker counts). Anywhere else a process that is not
// running may be stopped inside a system call, with pages isolated,
// locked or half set up, where the invariants need not hold.
func (p *Process) Quiet() bool { return p.quiet }

// quietSleep runs sleep with Quiet set.
func (p *Process) quietSleep(sleep func()) {
	p.quiet = true
	defer func() { p.quiet = false }()
	sleep()
}

// Errnos the system calls return, as Linux does.
var (
	EBADF  = errors.New("EBADF")
	EINVAL = errors.New("EINVAL")
	ENOMEM = errors.New("ENOMEM")
	EFAULT = errors.New("EFAULT")
	ESRCH  = errors.New("ESRCH")
)

// fileShadow is the data-integrity shadow of file contents, per inode and
// page index: what the programs wrote, whoever wrote it.
type fileShadow map[[2]uint64]uint64

// Spawn starts a process running fn, with an empty address space and a
// kernel stack, as fork+exec of a new program leaves it.
func (m *Machine) Spawn(comm string, fn func(p *Process)) *Process {
	p := &Process{m: m, files: map[int]*fs.File{}, nextFD: 3, shadow: newAnonShadow(), mapped: map[uint64]*fs.File{}}
	m.procs = append(m.procs, p)
	oomp := &mm.OOMProcess{}
	p.Task = m.Sched.Spawn(comm, 0, func(t *sim.Task) {
		if err := p.setup(nil); err != nil {
			m.MM.UnregisterProcess(t)
			m.Log.Printk(klog.KernErr, "pagesim: spawn %s: %v\n", comm, err)
			return
		}
		oomp.MM = p.MM
		fn(p)
		p.Exit()
	})
	// copy_process puts the task on the task list when it is forked, not
	// when it first runs: for_each_process (the OOM killer's scan and
	// its task dump, and their tie-breaks) goes in fork order.
	oomp.Task = p.Task
	m.MM.RegisterProcess(oomp)
	return p
}

// setup gives the process its kernel stack and address space (copied from
// parent, if any).
func (p *Process) setup(parent *Process) error {
	stack, ok := p.m.MM.AllocThreadInfo(-1)
	if !ok {
		return ENOMEM
	}
	p.stack = stack
	var err error
	var parentTask *sim.Task
	if parent == nil {
		p.MM, err = p.m.MM.NewMM()
	} else {
		p.MM, err = p.m.MM.DupMM(parent.MM)
		parentTask = parent.Task
	}
	if err != nil {
		p.m.MM.FreeThreadInfo(stack)
		return ENOMEM
	}
	p.parent = parentTask
	return nil
}

// Fork is fork(): the child gets a kernel stack (an order-2 GFP_KERNEL
// allocation), a copy-on-write copy of the address space, the open files,
// and runs fn.
func (p *Process) Fork(comm string, fn func(c *Process)) (*Process, error) {
	c := &Process{m: p.m, files: map[int]*fs.File{}, nextFD: p.nextFD, mapped: map[uint64]*fs.File{}}
	p.m.procs = append(p.m.procs, c)
	if err := c.setup(p); err != nil {
		return nil, err
	}
	for _, fd := range sortedKeys(p.files) {
		c.files[fd] = p.m.FS.Dup(p.files[fd])
	}
	c.shadow = p.shadow.clone()
	for _, v := range p.MM.VMAs() {
		if v.Flags&mm.VM_DONTCOPY != 0 {
			c.shadow.deleteRange(v.Start, v.End) // dup_mmap skips it
		}
	}
	for _, k := range sortedKeys(p.mapped) {
		c.mapped[k] = p.m.FS.Dup(p.mapped[k])
	}
	c.Task = p.m.Sched.Spawn(comm, 0, func(t *sim.Task) {
		fn(c)
		c.Exit()
	})
	// copy_signal: the child inherits oom_score_adj.
	p.m.MM.RegisterProcess(&mm.OOMProcess{Task: c.Task, MM: c.MM, Parent: p.Task, OOMScoreAdj: p.m.MM.OOMScoreAdj(p.Task)})
	return c, nil
}

// Exit is do_exit(): PF_EXITING, the address space torn down, files
// closed, the kernel stack freed.
func (p *Process) Exit() {
	if p.exited {
		return
	}
	p.exited = true
	p.Task.Flags |= sim.PF_EXITING
	// exit_mm before exit_files, as do_exit orders them. Mappings' files
	// close in address order, files in descriptor order: never in map
	// order, which would make the machine nondeterministic.
	p.m.MM.ExitMM(p.Task, p.MM)
	for _, a := range sortedKeys(p.mapped) {
		p.m.FS.Close(p.mapped[a])
	}
	p.mapped = nil
	for _, fd := range sortedKeys(p.files) {
		p.closeFD(fd)
	}
	p.m.MM.UnregisterProcess(p.Task)
	p.m.MM.FreeThreadInfo(p.stack)
	p.m.MM.ExitDirtyThrottle(p.Task)
}

// EINTR is what a call returns once the process has been killed.
var EINTR = errors.New("EINTR")

// dying is the fatal_signal_pending() check at a system call boundary: a
// process sent SIGKILL (by the OOM killer) exits there.
func (p *Process) dying() bool {
	if p.exited {
		return true
	}
	if p.m.MM.FatalSignalPending(p.Task) {
		p.Exit()
		return true
	}
	return false
}

// Mmap is mmap(NULL, length, PROT_READ[|PROT_WRITE], MAP_PRIVATE|
// MAP_ANONYMOUS, -1, 0).
func (p *Process) Mmap(length uint64, write bool) (uint64, error) {
	if p.dying() {
		return 0, EINTR
	}
	a, err := p.m.MM.MmapAnon(p.MM, length, write)
	if err == nil {
		p.shadow.deleteRange(a, a+(length+mm.PAGE_SIZE-1)&^(mm.PAGE_SIZE-1)) // new memory is zeroes
	}
	return a, mapMMErr(err)
}

// Munmap is munmap(addr, length).
func (p *Process) Munmap(addr, length uint64) error {
	if p.dying() {
		return EINTR
	}
	if err := mapMMErr(p.m.MM.Munmap(p.MM, addr, length)); err != nil {
		return err
	}
	p.shadow.deleteRange(addr, addr+length)
	// remove_vma's fput: a file no VMA maps any more is released.
	for _, a := range sortedKeys(p.mapped) {
		f := p.mapped[a]
		still := false
		for _, v := range p.MM.VMAs() {
			if v.File != nil && v.File.Mapping == f.Inode.Mapping {
				still = true
				break
			}
		}
		if !still {
			delete(p.mapped, a)
			p.m.FS.Close(f)
		}
	}
	return nil
}

// sortedKeys returns a map's keys in increasing order.
func sortedKeys[K int | uint64, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Touch accesses [addr, addr+length) one page every stride bytes (at least
// a page), reading or writing as the CPU would; writes store token. Every
// read is checked against what this process wrote there.
func (p *Process) Touch(addr, length, stride uint64, write bool, token uint64) error {
	stride = max(stride, mm.PAGE_SIZE)
	for a := addr &^ (mm.PAGE_SIZE - 1); a < addr+length; a += stride {
		if p.dying() {
			return EINTR
		}
		got, err := p.m.MM.UserAccess(p.MM, a, write, token)
		if err != nil {
			switch err {
			case mm.ErrSegv, mm.ErrBus:
				return EFAULT
			case mm.ErrOOM, mm.ErrKilled:
				// Back in user mode: the access is retried, unless
				// a fatal signal kills the task first (dying).
				a -= stride
				continue
			}
			return err
		}
		// A stride that is not a multiple of the page size lands inside
		// pages: the oracle keeps contents per page.
		pa := a &^ (mm.PAGE_SIZE - 1)
		v := p.MM.FindVMA(pa)
		var fileKey [2]uint64
		if v != nil && v.File != nil {
			fileKey = [2]uint64{v.File.Mapping.Host.Ino(), v.LinearPageIndex(pa)}
		}
		switch {
		case write && v != nil && v.File != nil && v.Flags&mm.VM_SHARED != 0:
			p.m.setFileShadow(fileKey, token, true)
		case write:
			p.shadow.set(pa, token)
		// A private file page this process wrote (its COW copy) is
		// checked against the process's shadow (default), not the file's.
		case v != nil && v.File != nil && (v.Flags&mm.VM_SHARED != 0 || !p.shadow.has(pa)):
			if want := p.m.fileShadow[fileKey]; !p.m.fileReadOK(fileKey, got) {
				p.m.dataIntegrity("pid %d (%s) read %#x at %#x (inode %d page %d), written %#x", p.Task.PID, p.Task.Comm, got, a, fileKey[0], fileKey[1], want)
			}
		default:
			if want, _ := p.shadow.get(pa); got != want {
				p.m.dataIntegrity("pid %d (%s) read %#x at %#x, wrote %#x there", p.Task.PID, p.Task.Comm, got, a, want)
			}
		}
	}
	return nil
}

// MmapFile is mmap(NULL, length, PROT_READ[|PROT_WRITE],
// MAP_SHARED or MAP_PRIVATE, fd, offset).
func (p *Process) MmapFile(fd int, offset int64, length uint64, write, shared bool) (uint64, error) {
	if p.dying() {
		return 0, EINTR
	}
	f, err := p.file(fd)
	if err != nil {
		return 0, err
	}
	if offset < 0 || offset&(mm.PAGE_SIZE-1) != 0 {
		return 0, EINVAL
	}
	addr, err := p.m.MM.MmapFile(p.MM, &mm.VMFile{Mapping: f.Inode.Mapping, RA: &f.RA}, uint64(offset)>>mm.PAGE_SHIFT, length, write, shared)
	if err != nil {
		return 0, mapMMErr(err)
	}
	p.mapped[addr] = p.m.FS.Dup(f)
	p.shadow.deleteRange(addr, addr+(length+mm.PAGE_SIZE-1)&^(mm.PAGE_SIZE-1)) // the file shows through
	return addr, nil
}

// Msync is msync(addr, length, MS_SYNC): fsync the file of every shared
// file mapping in the range (v3.16's MS_ASYNC does nothing more than
// return).
func (p *Process) Msync(addr, length uint64, sync bool) error {
	if p.dying() {
		return EINTR
	}
	if addr&(mm.PAGE_SIZE-1) != 0 {
		return EINVAL
	}
	end := addr + (length+mm.PAGE_SIZE-1)&^(mm.PAGE_SIZE-1)
	unmapped := false
	for a := addr; a < end; {
		v := p.MM.FindVMA(a)
		if v == nil {
			unmapped = true
			a += mm.PAGE_SIZE
			continue
		}
		if sync && v.File != nil && v.Flags&mm.VM_SHARED != 0 {
			if f := p.mapped[v.Start]; f != nil {
				if err := p.m.FS.Fsync(f, false); err != nil {
					return err
				}
			} else {
				for _, f := range p.mapped {
					if f.Inode.Mapping == v.File.Mapping {
						if err := p.m.FS.Fsync(f, false); err != nil {
							return err
						}
						break
					}
				}
			}
		}
		a = v.End
	}
	if unmapped {
		return ENOMEM
	}
	return nil
}

// Pin holds references on the pages of [addr, addr+length) for holdNS of
// virtual time, as direct I/O does through get_user_pages while the device
// works; the task sleeps meanwhile and other tasks run.
func (p *Process) Pin(addr, length uint64, write bool, holdNS int64) error {
	if p.dying() {
		return EINTR
	}
	n := (addr+length+mm.PAGE_SIZE-1)/mm.PAGE_SIZE - addr/mm.PAGE_SIZE
	var pfns []uint64
	var err error
	gup := func() { pfns, err = p.m.MM.GetUserPages(p.MM, addr, n, write) }
	if write {
		p.watchPrivateCopies(addr, length, gup)
	} else {
		gup()
	}
	if err == nil {
		p.quietSleep(func() { p.Task.Sleep(holdNS) })
	}
	p.m.MM.PutUserPages(pfns)
	if err != nil {
		return EFAULT
	}
	return nil
}

// watchPrivateCopies is for a call that may fault pages of [addr,
// addr+length) in for writing without writing them (get_user_pages with
// FOLL_WRITE: pin, and mlock of a writable private mapping). A page of a
// private file mapping that this process had not written, and that is an
// anonymous page of its own once the call returns, is a COW copy of what
// the file held at some moment of the call, and no later change to the
// file shows through it. watch records, while fn runs, what each such
// file page held; then each new copy is checked against those contents
// and becomes what the process's shadow expects there.
func (p *Process) watchPrivateCopies(addr, length uint64, fn func()) {
	end := addr + length
	if end < addr {
		end = ^uint64(0)
	}
	type watched struct {
		v   *mm.VMArea
		win *readWindow
	}
	var ws []watched
	for _, v := range p.MM.VMAs() {
		if v.End <= addr || v.Start >= end || v.File == nil || v.Flags&mm.VM_SHARED != 0 {
			continue
		}
		lo, hi := max(v.Start, addr&^(mm.PAGE_SIZE-1)), min(v.End, end)
		if hi <= lo {
			continue
		}
		win := &readWindow{ino: v.File.Mapping.Host.Ino(), first: v.LinearPageIndex(lo), last: v.LinearPageIndex(hi - 1), seen: map[uint64][]uint64{}}
		ws = append(ws, watched{v, win})
		p.m.readsInFlight = append(p.m.readsInFlight, win)
	}
	fn()
	for _, w := range ws {
		p.m.readsInFlight = slices.DeleteFunc(p.m.readsInFlight, func(r *readWindow) bool { return r == w.win })
		v := w.v
		for a := max(v.Start, addr&^(mm.PAGE_SIZE-1)); a < min(v.End, end); a += mm.PAGE_SIZE {
			if p.shadow.has(a) {
				continue
			}
			pfn, ok := p.m.MM.FollowPage(p.MM, a)
			if !ok || !p.m.MM.Page(pfn).PageAnon() {
				continue
			}
			idx := v.LinearPageIndex(a)
			k := [2]uint64{w.win.ino, idx}
			got := p.m.MM.Page(pfn).Data()
			if !p.m.fileReadOK(k, got) && !slices.Contains(w.win.seen[idx], got) {
				p.m.dataIntegrity("pid %d (%s) COW copy at %#x (inode %d page %d) holds %#x, the file held %#x", p.Task.PID, p.Task.Comm, a, k[0], idx, got, p.m.fileShadow[k])
			}
			p.shadow.set(a, got)
		}
	}
}

// Open is open(path, O_RDWR[|O_CREAT]); it returns the file descriptor.
func (p *Process) Open(path string, create bool) (int, error) {
	if p.dying() {
		return -1, EINTR
	}
	f, err := p.m.FS.Open(path, create)
	if err != nil {
		return -1, err
	}
	fd := p.nextFD
	p.nextFD++
	p.files[fd] = f
	return fd, nil
}

// Close is close(fd).
func (p *Process) Close(fd int) error {
	if p.dying() {
		return EINTR
	}
	return p.closeFD(fd)
}

// closeFD is close_fd() itself, also what exit does for each descriptor.
func (p *Process) closeFD(fd int) error {
	f, ok := p.files[fd]
	if !ok {
		return EBADF
	}
	delete(p.files, fd)
	p.m.FS.Close(f)
	return nil
}

func (p *Process) file(fd int) (*fs.File, error) {
	f, ok := p.files[fd]
	if !ok {
		return nil, EBADF
	}
	return f, nil
}

// Pwrite is pwrite(fd, buf, length, pos) of data token.
func (p *Process) Pwrite(fd int, pos, length int64, token uint64) (int64, error) {
	if p.dying() {
		return 0, EINTR
	}
	f, err := p.file(fd)
	if err != nil {
		return 0, err
	}
	// The oracle follows each page as the write copies into it, so that
	// writes through a shared mapping meanwhile (which take no i_mutex)
	// are ordered as the kernel orders them.
	ino := f.Inode.Ino()
	n, err := p.m.FS.Write(f, pos, length, token, func(idx uint64, offset, bytes int64) {
		k := [2]uint64{ino, idx}
		p.m.setFileShadow(k, mm.WriteToken(p.m.fileShadow[k], offset, bytes, token), true)
	})
	return n, err
}

// pendingChange is a change to file page k, to contents v, that a call
// has under way: until it returns, a reader may see the page as before
// or as after it.
type pendingChange struct {
	k [2]uint64
	v uint64
}

// startWrite records that a call is changing file page k to v.
func (m *Machine) startChange(k [2]uint64, v uint64) pendingChange {
	m.changesInFlight[k] = append(m.changesInFlight[k], v)
	return pendingChange{k, v}
}

// endWrite forgets w, once its call has returned.
func (m *Machine) endChange(w pendingChange) {
	vs := m.changesInFlight[w.k]
	if i := slices.Index(vs, w.v); i >= 0 {
		vs = slices.Delete(vs, i, i+1)
	}
	if len(vs) == 0 {
		delete(m.changesInFlight, w.k)
	} else {
		m.changesInFlight[w.k] = vs
	}
}

// setFileShadow records new contents for file page k. A read still in
// flight over k may have seen the contents before, so they stay
// acceptable to it.
func (m *Machine) setFileShadow(k [2]uint64, v uint64, present bool) {
	old := m.fileShadow[k]
	for _, r := range m.readsInFlight {
		if r.ino == k[0] && k[1] >= r.first && k[1] <= r.last {
			r.seen[k[1]] = append(r.seen[k[1]], old)
		}
	}
	if present {
		m.fileShadow[k] = v
	} else {
		delete(m.fileShadow, k)
	}
}

// readWindow is a read() in flight over pages [first, last] of an inode:
// seen holds, per page, contents the page had since the read began.
type readWindow struct {
	ino, first, last uint64
	seen             map[uint64][]uint64
}

// fileReadOK is the oracle's test for a read of file page k: what was
// written there, or what a call still under way will leave (a truncate).
func (m *Machine) fileReadOK(k [2]uint64, got uint64) bool {
	return got == m.fileShadow[k] || slices.Contains(m.changesInFlight[k], got)
}

// Pread is pread(fd, buf, length, pos): the pages read are checked against
// the file's shadow.
func (p *Process) Pread(fd int, pos, length int64) (int64, error) {
	if p.dying() {
		return 0, EINTR
	}
	f, err := p.file(fd)
	if err != nil {
		return 0, err
	}
	ino := f.Inode.Ino()
	var win *readWindow
	if length > 0 && pos >= 0 {
		win = &readWindow{ino: ino, first: uint64(pos) >> mm.PAGE_SHIFT, last: uint64(pos+length-1) >> mm.PAGE_SHIFT, seen: map[uint64][]uint64{}}
		p.m.readsInFlight = append(p.m.readsInFlight, win)
		defer func() {
			p.m.readsInFlight = slices.DeleteFunc(p.m.readsInFlight, func(r *readWindow) bool { return r == win })
		}()
	}
	// Each copy out of a page is checked against what the page held
	// while the read ran; a page may be copied from twice (the read
	// stopped at i_size inside it and the file grew meanwhile).
	toks, err := p.m.FS.Read(f, pos, length)
	for _, r := range toks {
		idx, tok := r.Index, r.Data
		if k := [2]uint64{ino, idx}; !p.m.fileReadOK(k, tok) && (win == nil || !slices.Contains(win.seen[idx], tok)) {
			want := p.m.fileShadow[k]
			p.m.dataIntegrity("pid %d (%s) read %#x from inode %d page %d, written %#x", p.Task.PID, p.Task.Comm, tok, ino, idx, want)
		}
	}
	// The bytes copied, page by page, however i_size moved meanwhile.
	var n int64
	for _, r := range toks {
		n += r.Len
	}
	return n, err
}

// Fsync is fsync(fd) (datasync: fdatasync).
func (p *Process) Fsync(fd int, datasync bool) error {
	if p.dying() {
		return EINTR
	}
	f, err := p.file(fd)
	if err != nil {
		return err
	}
	return p.m.FS.Fsync(f, datasync)
}

// Ftruncate is ftruncate(fd, size).
func (p *Process) Ftruncate(fd int, size int64) error {
	if p.dying() {
		return EINTR
	}
	f, err := p.file(fd)
	if err != nil {
		return err
	}
	// While the truncate runs (it waits for writeback of the pages it
	// drops), a reader of a mapping may see the cut page already zeroed.
	// What the cut page will hold is worked out once the truncate holds
	// i_mutex: a write it waited for may change the page meanwhile.
	var cut *pendingChange
	ino := f.Inode.Ino()
	old, err := p.m.FS.Truncate(f, size, func() {
		if size > 0 && size&(mm.PAGE_SIZE-1) != 0 {
			k := [2]uint64{ino, uint64(size) >> mm.PAGE_SHIFT}
			w := p.m.startChange(k, mm.ZeroSegmentToken(p.m.fileShadow[k], size&(mm.PAGE_SIZE-1), mm.PAGE_SIZE))
			cut = &w
		}
	})
	if cut != nil {
		p.m.endChange(*cut)
	}
	if err != nil {
		return err
	}
	if size >= old {
		return nil // nothing cut, nothing zeroed
	}
	p.m.forgetCutCopies(f.Inode, size)
	for k := range p.m.fileShadow {
		if k[0] != ino {
			continue
		}
		if int64(k[1])<<mm.PAGE_SHIFT >= size {
			p.m.setFileShadow(k, 0, false)
		} else if int64(k[1]+1)<<mm.PAGE_SHIFT > size {
			// The cut page's tail is zeroed: its content changed in a
			// way the model tracks as a write of zeroes.
			p.m.setFileShadow(k, mm.ZeroSegmentToken(p.m.fileShadow[k], size&(mm.PAGE_SIZE-1), mm.PAGE_SIZE), true)
		}
	}
	return nil
}

// forgetCutCopies updates the oracle for truncate_pagecache's
// unmap_mapping_range(even_cows=1): every process's private COW copies of
// the file's pages past the new end are zapped, and a fault there finds
// the file again (or SIGBUS).
func (m *Machine) forgetCutCopies(ino *fs.Inode, size int64) {
	hole := uint64(size+mm.PAGE_SIZE-1) >> mm.PAGE_SHIFT
	for _, q := range m.procs {
		if q.MM == nil || q.shadow == nil {
			continue
		}
		for _, v := range q.MM.VMAs() {
			if v.File == nil || v.File.Mapping != ino.Mapping || v.Flags&mm.VM_SHARED != 0 {
				continue
			}
			first := v.LinearPageIndex(v.Start)
			start := v.Start
			if hole > first {
				start = v.Start + (hole-first)<<mm.PAGE_SHIFT
			}
			if start < v.End {
				q.shadow.deleteRange(start, v.End)
			}
		}
	}
}

// Unlink is unlink(path).
func (p *Process) Unlink(path string) error { return p.m.FS.Unlink(path) }

func mapMMErr(err error) error {
	switch err {
	case nil:
		return nil
	case mm.EINVAL:
		return EINVAL
	case mm.ENOMEM:
		return ENOMEM
	case mm.EINTR, mm.ERESTARTSYS:
		// A killed task: what it returns is never seen.
		return EINTR
	}
	return err
}

// dataIntegrity reports lost or stale data, like any WARN: once in the log
// per occurrence, and counted.
func (m *Machine) dataIntegrity(format string, args ...any) {
	m.DataIntegrityErrors++
	m.Log.Printk(klog.KernErr, "pagesim: data integrity: %s\n", fmt.Sprintf(format, args...))
}
