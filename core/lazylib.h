/*
 * lazylib.h: libarchive and libcurl, opened when first needed (dlopen)
 * instead of at every start (lazylib.c says why). Each library is one
 * table of the functions auditscope calls, under their own names:
 * lazylib_la.archive_read_new(), lazylib_cu.curl_easy_init(). A table is
 * filled by its _open() and read only after that returned 0, in the same
 * thread or in one handed something made after it (an archive, a
 * connection).
 */
#ifndef AUDITSCOPE_LAZYLIB_H
#define AUDITSCOPE_LAZYLIB_H

#include <stddef.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>
/* curl.h's type check would turn curl_easy_setopt( into a statement,
 * which a call through the table cannot be */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

/* X(return type, name, (parameter types)): every function of the library
 * the tool calls; lazylib.c checks each against the header's prototype */
#define LAZYLIB_ARCHIVE_FNS(X)                                                              \
	X(struct archive *, archive_read_new, (void))                                       \
	X(int, archive_read_free, (struct archive *))                                       \
	X(int, archive_read_support_filter_gzip, (struct archive *))                        \
	X(int, archive_read_support_filter_bzip2, (struct archive *))                       \
	X(int, archive_read_support_filter_xz, (struct archive *))                          \
	X(int, archive_read_support_filter_lzma, (struct archive *))                        \
	X(int, archive_read_support_filter_lzip, (struct archive *))                        \
	X(int, archive_read_support_filter_zstd, (struct archive *))                        \
	X(int, archive_read_support_filter_lz4, (struct archive *))                         \
	X(int, archive_read_support_filter_compress, (struct archive *))                    \
	X(int, archive_read_support_format_zip, (struct archive *))                         \
	X(int, archive_read_support_format_tar, (struct archive *))                         \
	X(int, archive_read_support_format_7zip, (struct archive *))                        \
	X(int, archive_read_support_format_rar, (struct archive *))                         \
	X(int, archive_read_support_format_rar5, (struct archive *))                        \
	X(int, archive_read_support_format_cpio, (struct archive *))                        \
	X(int, archive_read_support_format_raw, (struct archive *))                         \
	X(int, archive_read_support_format_empty, (struct archive *))                       \
	X(int, archive_read_set_callback_data, (struct archive *, void *))                  \
	X(int, archive_read_set_read_callback, (struct archive *, archive_read_callback *)) \
	X(int, archive_read_set_seek_callback, (struct archive *, archive_seek_callback *)) \
	X(int, archive_read_open1, (struct archive *))                                      \
	X(int, archive_read_next_header, (struct archive *, struct archive_entry **))       \
	X(la_ssize_t, archive_read_data, (struct archive *, void *, size_t))                \
	X(const char *, archive_error_string, (struct archive *))                           \
	X(void, archive_set_error, (struct archive *, int, const char *, ...))              \
	X(int, archive_format, (struct archive *))                                          \
	X(int, archive_filter_count, (struct archive *))                                    \
	X(la_int64_t, archive_filter_bytes, (struct archive *, int))                        \
	X(const char *, archive_entry_pathname, (struct archive_entry *))                   \
	X(const char *, archive_entry_pathname_utf8, (struct archive_entry *))              \
	X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry *))                    \
	X(const char *, archive_entry_hardlink, (struct archive_entry *))                   \
	X(la_int64_t, archive_entry_size, (struct archive_entry *))                         \
	X(int, archive_entry_size_is_set, (struct archive_entry *))                         \
	X(int, archive_entry_is_data_encrypted, (struct archive_entry *))

#define LAZYLIB_CURL_FNS(X)                                                                      \
	X(CURLcode, curl_global_init, (long))                                                    \
	X(const char *, curl_easy_strerror, (CURLcode))                                          \
	X(CURL *, curl_easy_init, (void))                                                        \
	X(void, curl_easy_cleanup, (CURL *))                                                     \
	X(void, curl_easy_reset, (CURL *))                                                       \
	X(CURLcode, curl_easy_setopt, (CURL *, CURLoption, ...))                                 \
	X(CURLcode, curl_easy_getinfo, (CURL *, CURLINFO, ...))                                  \
	X(CURLcode, curl_easy_perform, (CURL *))                                                 \
	X(char *, curl_easy_escape, (CURL *, const char *, int))                                 \
	X(void, curl_free, (void *))                                                             \
	X(CURLM *, curl_multi_init, (void))                                                      \
	X(CURLMcode, curl_multi_cleanup, (CURLM *))                                              \
	X(CURLMcode, curl_multi_add_handle, (CURLM *, CURL *))                                   \
	X(CURLMcode, curl_multi_remove_handle, (CURLM *, CURL *))                                \
	X(CURLMcode, curl_multi_perform, (CURLM *, int *))                                       \
	X(CURLMcode, curl_multi_wait, (CURLM *, struct curl_waitfd *, unsigned int, int, int *)) \
	X(CURLMsg *, curl_multi_info_read, (CURLM *, int *))                                     \
	X(curl_mime *, curl_mime_init, (CURL *))                                                 \
	X(void, curl_mime_free, (curl_mime *))                                                   \
	X(curl_mimepart *, curl_mime_addpart, (curl_mime *))                                     \
	X(CURLcode, curl_mime_name, (curl_mimepart *, const char *))                             \
	X(CURLcode, curl_mime_filename, (curl_mimepart *, const char *))                         \
	X(CURLcode, curl_mime_data, (curl_mimepart *, const char *, size_t))                     \
	X(struct curl_slist *, curl_slist_append, (struct curl_slist *, const char *))           \
	X(void, curl_slist_free_all, (struct curl_slist *))

#define LAZYLIB_MEMBER(ret, name, params) ret(*name) params;
struct lazylib_archive {
	LAZYLIB_ARCHIVE_FNS(LAZYLIB_MEMBER)
};
struct lazylib_curl {
	LAZYLIB_CURL_FNS(LAZYLIB_MEMBER)
};
#undef LAZYLIB_MEMBER

extern struct lazylib_archive lazylib_la;
extern struct lazylib_curl lazylib_cu;

/* Open libarchive (the first call, in any thread, once) and fill
 * lazylib_la: 0, or -1 and *why, e.g. "reading archives needs
 * libarchive.so.13: cannot open shared object file: No such file or
 * directory" (borrowed; the same every later call). */
int lazylib_archive_open(const char **why);
/* The same for libcurl and lazylib_cu ("the ClickHouse store needs ..."). */
int lazylib_curl_open(const char **why);

/* The file names dlopen() is given (the SONAMEs of the libraries the
 * build compiled against). */
const char *lazylib_archive_name(void);
const char *lazylib_curl_name(void);

/* For tests: open these files instead (NULL: the built-in name). Only
 * before the library's first _open(). */
void lazylib_override(const char *archive_so, const char *curl_so);

#endif
