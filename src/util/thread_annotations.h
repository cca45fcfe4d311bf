// Clang's thread-safety analysis (-Wthread-safety), after LevelDB's
// port/thread_annotations.h: shared state is marked with what guards it,
// and functions with what they need held; the compiler then rejects an
// access from the wrong place. No-ops for other compilers.
//
// Besides mutexes, vtrace's threads own state by role (the tracker thread
// alone touches the trackers, the classifier thread alone the detector):
// a ThreadRole is a capability that a thread takes by calling
// claim() first thing, so that state GUARDED_BY a role can be touched only
// from functions that REQUIRE it or after such a claim.
#pragma once

#if defined(__clang__)
#define VT_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define VT_THREAD_ANNOTATION(x)
#endif

#define VT_CAPABILITY(x) VT_THREAD_ANNOTATION(capability(x))
#define VT_GUARDED_BY(x) VT_THREAD_ANNOTATION(guarded_by(x))
#define VT_PT_GUARDED_BY(x) VT_THREAD_ANNOTATION(pt_guarded_by(x))
#define VT_REQUIRES(...) VT_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define VT_EXCLUDES(...) VT_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define VT_ACQUIRE(...) VT_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define VT_RELEASE(...) VT_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define VT_ASSERT_CAPABILITY(x) VT_THREAD_ANNOTATION(assert_capability(x))
#define VT_SCOPED_CAPABILITY VT_THREAD_ANNOTATION(scoped_lockable)
#define VT_NO_THREAD_SAFETY_ANALYSIS VT_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace vt {

// A role one thread plays (the tracker, the classifier): the variable's
// name is the role's. Costs nothing at run time.
class VT_CAPABILITY("role") ThreadRole {
 public:
  // Called first thing on the thread that plays the role (and on the thread
  // that takes it over once the others have been joined). From there to the
  // end of the function the analysis lets it touch what the role guards.
  void claim() const VT_ASSERT_CAPABILITY(this) {}
};

}  // namespace vt
