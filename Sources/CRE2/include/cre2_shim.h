// A small C interface to RE2 (Debian's libre2): regular expressions matched in linear time, with
// the syntax and semantics of Go's regexp, which Prometheus uses. Swift calls these functions; the
// C++ stays in this target.
#ifndef IOC_CRE2_SHIM_H
#define IOC_CRE2_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ioc_re2 ioc_re2;

/// Compiles `pattern` (UTF-8, `length` bytes). On failure returns NULL and, when `error` is not
/// NULL, copies a message into it (at most `error_capacity` bytes, NUL-terminated).
/// `dot_all`: `.` matches a newline too (Go's `(?s)`).
ioc_re2 *ioc_re2_new(const char *pattern, size_t length, int dot_all, char *error, size_t error_capacity);

void ioc_re2_free(ioc_re2 *regex);

/// Whether the whole of `text` matches.
int ioc_re2_full_match(const ioc_re2 *regex, const char *text, size_t length);

/// Whether some part of `text` matches.
int ioc_re2_partial_match(const ioc_re2 *regex, const char *text, size_t length);

/// The number of capturing groups.
int ioc_re2_group_count(const ioc_re2 *regex);

/// The index of the capturing group named `name`, or -1.
int ioc_re2_named_group(const ioc_re2 *regex, const char *name, size_t length);

/// Matches the whole of `text` (`anchored` != 0) or finds the first match in `text[start...]`,
/// and writes the byte offsets of group i's match to `offsets[2i]` and `offsets[2i+1]` (-1 for a
/// group that did not take part), for groups 0 ... `groups` (group 0 is the whole match).
/// Returns 1 on a match, 0 otherwise.
int ioc_re2_match(const ioc_re2 *regex, const char *text, size_t length, size_t start, int anchored,
                  long *offsets, int groups);

#ifdef __cplusplus
}
#endif

#endif
