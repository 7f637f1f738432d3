// SPDX-License-Identifier: GPL-2.0-only

package sim

// Mutex is a sleeping lock, struct mutex: a task that finds it held waits
// uninterruptibly (mutex_lock, not mutex_lock_killable) until the holder
// releases it. The zero value is unlocked.
//
// Model: no optimistic spinning and no handoff; a woken waiter retries
// and may lose to a task that takes the lock first, as a woken waiter in
// v3.16's __mutex_lock_common may.
type Mutex struct {
	owner *Task
	held  bool
	wait  WaitQueue
}

// Lock is mutex_lock(). t is the calling task; it may be nil outside any
// task (boot, tests), where nothing else can hold the lock.
func (m *Mutex) Lock(t *Task) {
	for m.held {
		if t == nil {
			panic("sim: mutex contended outside any task")
		}
		if m.owner == t {
			panic("sim: mutex_lock of a mutex the task holds (self-deadlock)")
		}
		t.Wait(&m.wait)
	}
	m.held, m.owner = true, t
}

// Unlock is mutex_unlock(): release and wake the longest waiter.
func (m *Mutex) Unlock() {
	if !m.held {
		panic("sim: mutex_unlock of an unlocked mutex")
	}
	m.held, m.owner = false, nil
	m.wait.WakeOne()
}

// Held is mutex_is_locked().
func (m *Mutex) Held() bool { return m.held }
