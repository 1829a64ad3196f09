#include "cre2_shim.h"

#include <re2/re2.h>

#include <cstring>
#include <map>
#include <new>
#include <string>
#include <vector>

struct ioc_re2 {
    re2::RE2 regex;
    ioc_re2(const re2::StringPiece &pattern, const re2::RE2::Options &options) : regex(pattern, options) {}
};

extern "C" ioc_re2 *ioc_re2_new(const char *pattern, size_t length, int dot_all, char *error, size_t capacity) {
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_encoding(re2::RE2::Options::EncodingUTF8);
    options.set_dot_nl(dot_all != 0);
    // What one pattern may cost, its program and its DFA cache together: 2 MB rather than RE2's
    // 8 MB, as a query may hold thousands of matchers; a 64 KB alternation (the API's largest
    // parameter) still compiles. Past the cache RE2 falls back to its NFA, still linear.
    options.set_max_mem(2 << 20);
    ioc_re2 *compiled = new (std::nothrow) ioc_re2(re2::StringPiece(pattern, length), options);
    if (compiled == nullptr) {
        if (error != nullptr && capacity > 0) std::strncpy(error, "out of memory", capacity - 1), error[capacity - 1] = 0;
        return nullptr;
    }
    if (!compiled->regex.ok()) {
        if (error != nullptr && capacity > 0) {
            std::strncpy(error, compiled->regex.error().c_str(), capacity - 1);
            error[capacity - 1] = 0;
        }
        delete compiled;
        return nullptr;
    }
    return compiled;
}

extern "C" void ioc_re2_free(ioc_re2 *regex) { delete regex; }

extern "C" int ioc_re2_full_match(const ioc_re2 *regex, const char *text, size_t length) {
    return re2::RE2::FullMatch(re2::StringPiece(text, length), regex->regex) ? 1 : 0;
}

extern "C" int ioc_re2_partial_match(const ioc_re2 *regex, const char *text, size_t length) {
    return re2::RE2::PartialMatch(re2::StringPiece(text, length), regex->regex) ? 1 : 0;
}

extern "C" int ioc_re2_group_count(const ioc_re2 *regex) { return regex->regex.NumberOfCapturingGroups(); }

extern "C" int ioc_re2_named_group(const ioc_re2 *regex, const char *name, size_t length) {
    const std::map<std::string, int> &groups = regex->regex.NamedCapturingGroups();
    auto found = groups.find(std::string(name, length));
    return found == groups.end() ? -1 : found->second;
}

extern "C" int ioc_re2_match(const ioc_re2 *regex, const char *text, size_t length, size_t start, int anchored,
                             long *offsets, int groups) {
    if (start > length || groups < 0) return 0;
    std::vector<re2::StringPiece> found(static_cast<size_t>(groups) + 1);
    re2::StringPiece whole(text, length);
    bool matched = regex->regex.Match(whole, start, length, anchored ? re2::RE2::ANCHOR_BOTH : re2::RE2::UNANCHORED,
                                      found.data(), groups + 1);
    if (!matched) return 0;
    for (int index = 0; index <= groups; index++) {
        const re2::StringPiece &piece = found[static_cast<size_t>(index)];
        if (piece.data() == nullptr) {
            offsets[2 * index] = -1;
            offsets[2 * index + 1] = -1;
        } else {
            offsets[2 * index] = static_cast<long>(piece.data() - text);
            offsets[2 * index + 1] = static_cast<long>(piece.data() - text + piece.size());
        }
    }
    return 1;
}
