/*
 * The storage seam's sentinel (Makefile: make seam, run by make test):
 * the storage interface, core/ outside core/sqlite/ and all of tui/ are
 * compiled with this directory first on the include path, so that
 * reaching sqlite3.h from any of them stops the build. Storage goes
 * through core/storage.h; SQL lives in core/sqlite/.
 */
#error "sqlite3.h reached from outside core/sqlite/: go through the storage interface (core/storage.h)"
