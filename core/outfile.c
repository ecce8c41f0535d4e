/*
 * outfile.c: complete-or-absent output files (outfile.h).
 */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

struct outfile {
	FILE *fp;
	char *target; /* what the temporary file becomes; NULL: written through */
	char *tmp;
	char *shown; /* the name the caller gave, for messages */
};

/* The temporary file being written, for a signal handler: one at a time
 * (an export, a notes export), set and cleared around the writing. */
static char pending[PATH_MAX + 32];
static volatile sig_atomic_t have_pending;

void outfile_unlink_pending(void)
{
	if (have_pending)
		unlink(pending);
}

static void set_pending(const char *tmp)
{
	have_pending = 0;
	if (tmp && strlen(tmp) < sizeof pending) {
		memcpy(pending, tmp, strlen(tmp) + 1);
		have_pending = 1;
	}
}

static mode_t umask_mode(void)
{
	mode_t m = umask(0);
	umask(m);
	return 0666 & ~m;
}

int outfile_open(const char *path, struct outfile **out, FILE **fp, char **cause)
{
	*out = NULL;
	*fp = NULL;
	struct outfile *o = xcalloc(1, sizeof *o);
	o->shown = xstrdup(path);
	char *target = xstrdup(path);
	struct stat sb;
	bool exists = stat(path, &sb) == 0; /* follows a symbolic link */
	struct stat lsb;
	if (lstat(path, &lsb) == 0 && S_ISLNK(lsb.st_mode)) {
		char *real = realpath(path, NULL);
		if (real) {
			free(target);
			target = xstrdup(real);
			free(real);
		} else {
			exists = false;
			/* a dangling link: write through it, creating its target */
			free(target);
			target = NULL;
		}
	}
	if ((exists && !S_ISREG(sb.st_mode)) || !target) {
		/* a device, a FIFO, a terminal, a dangling link: through */
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (exists ? 0 : O_TRUNC), 0666);
		if (fd < 0 || !(o->fp = fdopen(fd, "w"))) {
			set_cause(cause, "%s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			free(target);
			outfile_abort(o);
			return -1;
		}
		free(target);
		*out = o;
		*fp = o->fp;
		return 0;
	}
	o->target = target;
	o->tmp = xasprintf("%s.partial-XXXXXX", target);
	/* a signal between creating the file and registering it would leave
	 * it behind: the signals that end a process wait until it is known */
	sigset_t fatal, old;
	sigemptyset(&fatal);
	sigaddset(&fatal, SIGINT);
	sigaddset(&fatal, SIGTERM);
	sigaddset(&fatal, SIGHUP);
	sigaddset(&fatal, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &fatal, &old);
	int fd = mkstemp(o->tmp);
	int err = errno;
	if (fd >= 0)
		set_pending(o->tmp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (fd < 0) {
		set_cause(cause, "%s: %s", path, strerror(err));
		free(o->tmp);
		o->tmp = NULL;
		outfile_abort(o);
		return -1;
	}
	/* mkstemp makes 0600: the file gets the mode it replaces, or what
	 * the umask gives a new one */
	mode_t mode = exists ? (sb.st_mode & 07777) : umask_mode();
	if (fchmod(fd, mode) < 0 || !(o->fp = fdopen(fd, "w"))) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		close(fd);
		outfile_abort(o);
		return -1;
	}
	*out = o;
	*fp = o->fp;
	return 0;
}

static void outfile_free(struct outfile *o)
{
	free(o->target);
	free(o->tmp);
	free(o->shown);
	free(o);
}

int outfile_commit(struct outfile *o, char **cause)
{
	int rc = 0;
	errno = 0;
	if (fflush(o->fp) != 0 || ferror(o->fp) || (o->tmp && fsync(fileno(o->fp)) != 0)) {
		rc = set_cause(cause, "%s: %s", o->shown, strerror(errno ? errno : EIO));
		fclose(o->fp);
	} else if (fclose(o->fp) != 0) {
		rc = set_cause(cause, "%s: %s", o->shown, strerror(errno));
	}
	o->fp = NULL;
	if (rc == 0 && o->tmp && rename(o->tmp, o->target) < 0)
		rc = set_cause(cause, "%s: %s", o->shown, strerror(errno));
	if (rc < 0 && o->tmp)
		unlink(o->tmp);
	if (o->tmp)
		have_pending = 0;
	outfile_free(o);
	return rc;
}

void outfile_abort(struct outfile *o)
{
	if (!o)
		return;
	if (o->fp)
		fclose(o->fp);
	if (o->tmp) {
		unlink(o->tmp);
		have_pending = 0;
	}
	outfile_free(o);
}
