// A mutex the thread-safety analysis understands (std::mutex carries no
// annotations in libstdc++), and its scoped lock.
#pragma once

#include <mutex>

#include "src/util/thread_annotations.h"

namespace vt {

class VT_CAPABILITY("mutex") Mutex {
 public:
  void lock() VT_ACQUIRE() { m_.lock(); }
  void unlock() VT_RELEASE() { m_.unlock(); }

 private:
  std::mutex m_;
};

class VT_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* m) VT_ACQUIRE(m) : m_(m) { m_->lock(); }
  ~MutexLock() VT_RELEASE() { m_->unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* m_;
};

}  // namespace vt
