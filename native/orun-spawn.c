/*
 * orun-spawn: starts step processes on behalf of the orun process.
 *
 * Node's child_process forks the whole Node process for every spawn (about
 * 0.85 ms of CPU per step on the reference machine, more than the step's own
 * `sh -c true`). This helper is tiny and spawns with vfork: nothing is
 * copied. The orun process keeps every decision (environment, timeouts,
 * kills, output); the helper only starts processes and reports how they
 * ended.
 *
 * Protocol (stdin → helper): frames of a 4-byte little-endian payload length
 * followed by NUL-terminated strings:
 *   id, cwd, output path, inherit ("1": overlay env on the helper's own
 *   environment, "0": use env alone), opens, waits, argc, argv[0..argc),
 *   envc, env[0..envc)
 * or a control frame: `L`, n: close latch n; `W`, id: withdraw the held request id
 * (answered `N` if it was still held); `J`, n, path, line: when latch n opens,
 * append line to the file at path (O_APPEND, never through a symlink) before
 * any request waiting on it starts — orun's journal of completed jobs, so a
 * job that started because another ended is never preceded by a crash that
 * forgets that end.
 * Latches hand a job's successor over without a round trip through orun
 * (numbers from 1; 0 = none). A process started with `opens` n opens latch
 * n when it exits 0 (orun closes it first when it stops the process: input is
 * read before children are reaped, so a close sent before the signal wins
 * over the exit it causes); a request with `waits` n is held until latch n opens
 * and is then started at once, or answered `N` when orun closes the latch
 * first (the job it waited for failed, or the run stopped). A closed latch
 * stays closed; an open one stays open.
 * Replies (helper → stdout), one line each:
 *   S <id> <pid>          started; pid is also the process group (setsid)
 *   X <id> <code> <sig> <bytes>
 *                         ended: exit code (-1 if signalled), signal (0) and
 *                         the size of its output
 *   N <id>                not started: its latch was closed
 *   E <id> <errno> <at> <text>
 *                         could not start: at 0 the command was not found
 *                         (or not executable) in PATH, at 1 creating the
 *                         output file, entering cwd or exec failed; text
 *                         is strerror's
 * The helper creates the output file (stdout and stderr both go to it) and
 * removes it again when the process wrote nothing or could not start;
 * otherwise the reader removes it. Start replies are held back up to
 * START_DELAY_MS unless an end reply goes out first: a short step then
 * costs the orun process one wake-up, not two.
 * stdin EOF, or replies that cannot be written: the orun process is gone
 * (exited or killed). Nobody supervises the running steps any more and a
 * resumed run would start them again beside the survivors, so the groups of
 * steps that have not ended are killed (SIGKILL) and the helper exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define START_DELAY_MS 20
#define LINGER_MS 250
#define LINGER_POLL_MS 10

struct child {
  pid_t pid;
  int out;     /* read-only descriptor of its output file (or the write one when it could not be reopened) */
  int leases;  /* whether `out` is read-only, so writers_remain can ask the kernel */
  int reaped;  /* the process itself has exited (status holds how) */
  int status;
  struct timespec linger_until; /* while its group still has members: wait for them until then */
  int ended;   /* reported; its output file still to be closed (and removed when empty) */
  long bytes;
  unsigned long opens; /* latch opened when it exits 0 (0: none) */
  char id[32];
  char path[4096];
};

static struct child *children;
static size_t nchildren, capchildren;

static void abandon_steps(void) __attribute__((noreturn));

static char outbuf[64 * 1024];
static size_t outlen;
/* Whether outbuf holds an end reply (flush now) and when held start replies are due. */
static int urgent;
static struct timespec due;

static void flush_out(void) {
  size_t off = 0;
  while (off < outlen) {
    ssize_t n = write(STDOUT_FILENO, outbuf + off, outlen - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      outlen = 0;
      abandon_steps(); /* orun went away */
    }
    off += (size_t)n;
  }
  outlen = 0;
  urgent = 0;
}

static long ms_until(const struct timespec *t) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long ms = (t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
  return ms < 0 ? 0 : ms;
}

static void reply(const char *fmt, const char *id, long a, long b, long c) {
  char line[256];
  int n = snprintf(line, sizeof line, fmt, id, a, b, c);
  if (n < 0 || (size_t)n >= sizeof line) return;
  if (outlen + (size_t)n > sizeof outbuf) flush_out();
  if (outlen == 0 && line[0] == 'S') {
    clock_gettime(CLOCK_MONOTONIC, &due);
    due.tv_nsec += START_DELAY_MS * 1000000L;
    if (due.tv_nsec >= 1000000000L) due.tv_sec++, due.tv_nsec -= 1000000000L;
  }
  if (line[0] != 'S') urgent = 1;
  memcpy(outbuf + outlen, line, (size_t)n);
  outlen += (size_t)n;
}

static void track(pid_t pid, int out, int leases, const char *path, const char *id, unsigned long opens) {
  if (nchildren == capchildren) {
    capchildren = capchildren ? capchildren * 2 : 64;
    children = realloc(children, capchildren * sizeof *children);
    if (!children) _exit(70);
  }
  children[nchildren].pid = pid;
  children[nchildren].out = out;
  children[nchildren].leases = leases;
  children[nchildren].ended = 0;
  children[nchildren].reaped = 0;
  children[nchildren].opens = opens;
  snprintf(children[nchildren].path, sizeof children[nchildren].path, "%s", path);
  snprintf(children[nchildren].id, sizeof children[nchildren].id, "%s", id);
  nchildren++;
}

enum { LATCH_PENDING, LATCH_OPEN, LATCH_CLOSED };
static unsigned char *latches; /* state by latch number */
static size_t nlatches;
/* Requests held until their latch opens: a copy of each frame's payload. */
struct waiter {
  unsigned long latch;
  char *payload;
  uint32_t len;
};
static struct waiter *waiters;
static size_t nwaiters, capwaiters;
static int latch_moved; /* a latch opened or closed since waiters were last looked at */
/* Lines to append when a latch opens (`J` frames): a copy of the path and the line. */
struct journal_entry {
  unsigned long latch;
  char *path;
  char *line;
};
static struct journal_entry *journal;
static size_t njournal, capjournal;
/* Latches whose process exited 0, opened once the input read so far has been handled (see open_latches). */
static unsigned long *to_open;
static size_t nto_open, capto_open;

/* orun numbers latches from 1, one per job: anything beyond is a broken sender, not a table to grow. */
#define MAX_LATCH (1UL << 24)

static void malformed(void) __attribute__((noreturn));
static void malformed(void) {
  fprintf(stderr, "orun-spawn: malformed request frame\n");
  _exit(74);
}

static unsigned long parse_latch(const char *text) {
  char *end;
  errno = 0;
  unsigned long n = strtoul(text, &end, 10);
  if (errno != 0 || end == text || *end != 0 || text[0] == '-' || n > MAX_LATCH) malformed();
  return n;
}

static int latch_state(unsigned long n) { return n < nlatches ? latches[n] : LATCH_PENDING; }

static void append_line(const char *path, const char *line) {
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return;
  size_t len = strlen(line);
  /* One write: a short one leaves a torn last line, which readers ignore (orun journals the job itself too). */
  if (write(fd, line, len) != (ssize_t)len) { /* nothing more to do */ }
  close(fd);
}

static void add_journal(unsigned long latch, const char *path, const char *line) {
  if (latch == 0 || latch_state(latch) == LATCH_CLOSED) return;
  /* Opened already (its exit came before this frame): appended now, before the frames after it start anything. */
  if (latch_state(latch) == LATCH_OPEN) {
    append_line(path, line);
    return;
  }
  if (njournal == capjournal) {
    capjournal = capjournal ? capjournal * 2 : 64;
    journal = realloc(journal, capjournal * sizeof *journal);
    if (!journal) _exit(70);
  }
  char *p = strdup(path), *l = strdup(line);
  if (!p || !l) _exit(70);
  journal[njournal++] = (struct journal_entry){latch, p, l};
}

/* Appends (opening) or drops (closing) what is to be journaled when latch n opens. */
static void settle_journal(unsigned long n, int state) {
  size_t kept = 0;
  for (size_t i = 0; i < njournal; i++) {
    struct journal_entry e = journal[i];
    if (e.latch != n) {
      journal[kept++] = e;
      continue;
    }
    if (state == LATCH_OPEN) append_line(e.path, e.line);
    free(e.path);
    free(e.line);
  }
  njournal = kept;
}

static void set_latch(unsigned long n, int state) {
  if (n == 0 || latch_state(n) != LATCH_PENDING) return;
  settle_journal(n, state);
  if (n >= nlatches) {
    size_t cap = nlatches ? nlatches : 1024;
    while (cap <= n) cap *= 2;
    latches = realloc(latches, cap);
    if (!latches) _exit(70);
    memset(latches + nlatches, LATCH_PENDING, cap - nlatches);
    nlatches = cap;
  }
  latches[n] = (unsigned char)state;
  latch_moved = 1;
}

static void report_end(struct child *c) {
  if (nto_open == capto_open) {
    capto_open = capto_open ? capto_open * 2 : 64;
    to_open = realloc(to_open, capto_open * sizeof *to_open);
    if (!to_open) _exit(70);
  }
  struct stat st;
  c->bytes = fstat(c->out, &st) == 0 ? (long)st.st_size : 0;
  c->ended = 1;
  if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0 && c->opens != 0) to_open[nto_open++] = c->opens;
  if (WIFEXITED(c->status)) reply("X %s %ld %ld %ld\n", c->id, WEXITSTATUS(c->status), 0, c->bytes);
  else reply("X %s %ld %ld %ld\n", c->id, -1, WIFSIGNALED(c->status) ? WTERMSIG(c->status) : 0, c->bytes);
}

/*
 * Whether a process other than us still has the step's output file open for
 * writing. A read lease can only be taken on a file nobody writes to, so the
 * kernel answers without scanning /proc; the lease is dropped at once.
 */
static int writers_remain(struct child *c) {
  if (!c->leases) return 0;
  if (fcntl(c->out, F_SETLEASE, F_RDLCK) == 0) {
    fcntl(c->out, F_SETLEASE, F_UNLCK);
    return 0;
  }
  return errno == EAGAIN;
}

/*
 * A step's end is reported once its process has exited and no other process
 * (a background job it started) still holds its output, or LINGER_MS later:
 * what those processes write just after the step exits is still captured, as
 * a pipe reader waiting a moment for end-of-file would capture it. Background
 * processes with their output redirected elsewhere do not delay the step.
 */
static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (size_t i = 0; i < nchildren; i++) {
      struct child *c = &children[i];
      if (c->pid != pid || c->reaped) continue;
      c->reaped = 1;
      c->status = status;
      if (writers_remain(c)) {
        clock_gettime(CLOCK_MONOTONIC, &c->linger_until);
        c->linger_until.tv_nsec += LINGER_MS * 1000000L;
        while (c->linger_until.tv_nsec >= 1000000000L) c->linger_until.tv_sec++, c->linger_until.tv_nsec -= 1000000000L;
      } else {
        report_end(c);
      }
      break;
    }
  }
}

/* Reports lingering steps whose output is no longer held or whose wait is over; returns how many still linger. */
static int settle_lingering(void) {
  int lingering = 0;
  for (size_t i = 0; i < nchildren; i++) {
    struct child *c = &children[i];
    if (!c->reaped || c->ended) continue;
    if (!writers_remain(c) || ms_until(&c->linger_until) == 0) report_end(c);
    else lingering++;
  }
  return lingering;
}

/*
 * orun is gone without having stopped these steps (it was killed or
 * crashed: on SIGINT/SIGTERM/SIGHUP it stops them itself, gracefully). A
 * graceful stop would have nobody to wait for it while a resumed run may
 * already be starting the same steps, so every step that has not ended —
 * its whole group, also when the leader already exited and other members
 * still run — is killed outright. A group id stays reserved while the group
 * has members, so the kill cannot reach anyone else.
 */
static void abandon_steps(void) {
  for (size_t i = 0; i < nchildren; i++)
    if (!children[i].ended) kill(-children[i].pid, SIGKILL);
  for (size_t i = 0; i < nchildren; i++)
    unlink(children[i].path); /* nobody will read them */
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
  _exit(0);
}

/* After the end replies went out (the reader is waiting for them): close output files, remove empty ones. */
static void clean_up_ended(void) {
  for (size_t i = 0; i < nchildren;) {
    struct child *c = &children[i];
    if (!c->ended) {
      i++;
      continue;
    }
    close(c->out);
    if (c->bytes == 0) unlink(c->path);
    children[i] = children[--nchildren];
  }
}

/* Value of `name` in a NULL-terminated environment, or NULL. */
static const char *env_get(char **env, const char *name) {
  size_t len = strlen(name);
  for (; *env; env++)
    if (strncmp(*env, name, len) == 0 && (*env)[len] == '=') return *env + len + 1;
  return NULL;
}

static int same_key(const char *a, const char *b) {
  while (*a && *a != '=' && *a == *b) a++, b++;
  return (*a == '=' || *a == 0) && (*b == '=' || *b == 0);
}

/*
 * Resolves a command name through the step's PATH as execvp would after
 * changing into cwd: relative and empty entries are relative to cwd.
 * Returns 0, ENOENT, EACCES or ENAMETOOLONG.
 */
static int resolve(const char *cmd, const char *path, const char *cwd, char *out, size_t outsz) {
  int n;
  if (strchr(cmd, '/')) {
    n = cmd[0] == '/' ? snprintf(out, outsz, "%s", cmd) : snprintf(out, outsz, "%s/%s", cwd, cmd);
    return n < 0 || (size_t)n >= outsz ? ENAMETOOLONG : 0;
  }
  if (!path) path = "/usr/local/bin:/usr/bin:/bin";
  int err = ENOENT;
  for (const char *p = path;; p++) {
    const char *end = strchr(p, ':');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == 0) n = snprintf(out, outsz, "%s/%s", cwd, cmd);
    else if (p[0] == '/') n = snprintf(out, outsz, "%.*s/%s", (int)len, p, cmd);
    else n = snprintf(out, outsz, "%s/%.*s/%s", cwd, (int)len, p, cmd);
    struct stat st;
    if (n > 0 && (size_t)n < outsz && stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(out, X_OK) == 0) return 0;
      err = EACCES;
    }
    if (!end) break;
    p = end;
  }
  return err;
}

/*
 * Starts `file` in a new session with stdin from /dev/null and stdout and
 * stderr to fd, in cwd. vfork rather than posix_spawn: glibc's posix_spawn
 * child queries and resets all 64 signal dispositions before exec (~130
 * system calls per step); this helper installs no handlers, so the child
 * only has to undo what the helper changed (SIGINT and SIGPIPE ignored,
 * SIGCHLD blocked). The child shares our memory until it execs: it only
 * makes system calls, records a failure in `failure` and _exits.
 */
static int spawn_file(pid_t *pid, const char *file, int fd, const char *cwd, char **argv, char **envp, char **script) {
  volatile int failure = 0;
  sigset_t none;
  sigemptyset(&none);
  pid_t child = vfork();
  if (child < 0) return errno;
  if (child == 0) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGINT, &dfl, NULL);
    sigaction(SIGPIPE, &dfl, NULL);
    sigaction(SIGIO, &dfl, NULL);
    sigaction(SIGHUP, &dfl, NULL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
      failure = errno;
      _exit(127);
    }
    if (in != STDIN_FILENO) close(in);
    if (chdir(cwd) < 0) {
      failure = errno;
      _exit(127);
    }
    execve(file, argv, envp);
    /* As execvp does: a file without a recognised header is a shell script. */
    if (errno == ENOEXEC) execve("/bin/sh", script, envp);
    failure = errno;
    _exit(127);
  }
  if (failure != 0) {
    int status;
    waitpid(child, &status, 0); /* it has exited: reap it here, not as a step */
    return failure;
  }
  *pid = child;
  return 0;
}

/* An error reply: errno, where it happened, and its text (the rest of the line). */
static void fail(const char *id, int err, int at) {
  char text[200];
  snprintf(text, sizeof text, "E %s %d %d %s\n", id, err, at, strerror(err));
  reply("%s", text, 0, 0, 0);
}

/* Holds a request until its latch opens; false when out of memory. */
static int park(unsigned long latch, const char *payload, uint32_t len) {
  if (nwaiters == capwaiters) {
    capwaiters = capwaiters ? capwaiters * 2 : 16;
    waiters = realloc(waiters, capwaiters * sizeof *waiters);
    if (!waiters) _exit(70);
  }
  char *copy = malloc(len);
  if (!copy) return 0;
  memcpy(copy, payload, len);
  waiters[nwaiters++] = (struct waiter){latch, copy, len};
  return 1;
}

static void handle_frame(char *payload, uint32_t len);

/* Drops the held request `id` (its payload starts with the id), answering N; nothing if it is not held. */
static void withdraw(const char *id) {
  for (size_t i = 0; i < nwaiters; i++) {
    if (strcmp(waiters[i].payload, id) != 0) continue;
    char *payload = waiters[i].payload;
    memmove(&waiters[i], &waiters[i + 1], (nwaiters - i - 1) * sizeof *waiters);
    nwaiters--;
    reply("N %s\n", payload, 0, 0, 0);
    free(payload);
    return;
  }
}

/* Starts the requests whose latch opened and answers those whose latch closed, in arrival order. */
static void release_waiters(void) {
  while (latch_moved) {
    latch_moved = 0;
    for (size_t i = 0; i < nwaiters;) {
      struct waiter w = waiters[i];
      int state = latch_state(w.latch);
      if (state == LATCH_PENDING) {
        i++;
        continue;
      }
      memmove(&waiters[i], &waiters[i + 1], (nwaiters - i - 1) * sizeof *waiters);
      nwaiters--;
      if (state == LATCH_OPEN) handle_frame(w.payload, w.len); /* may open latches itself: the loop goes round again */
      else reply("N %s\n", w.payload, 0, 0, 0);
      free(w.payload);
    }
  }
}

static void spawn_one(char **fields, size_t nfields, const char *payload, uint32_t len) {
  /* id, cwd, out, inherit, opens, waits, argc, argv..., envc, env... */
  const char *id = nfields > 0 ? fields[0] : "0";
  if (nfields < 9) { fail(id, EINVAL, 1); return; }
  const char *cwd = fields[1], *out = fields[2];
  int inherit = fields[3][0] == '1';
  unsigned long opens = parse_latch(fields[4]), waits = parse_latch(fields[5]);
  size_t argc = strtoul(fields[6], NULL, 10);
  if (argc == 0 || argc > nfields - 8) { fail(id, EINVAL, 1); return; }
  char **argv = &fields[7];
  size_t envc = strtoul(fields[7 + argc], NULL, 10);
  if (envc > nfields - 8 - argc) { fail(id, EINVAL, 1); return; }
  char **overrides = &fields[8 + argc];
  int latch = latch_state(waits);
  if (waits != 0 && latch == LATCH_CLOSED) {
    reply("N %s\n", id, 0, 0, 0);
    return;
  }
  if (waits != 0 && latch == LATCH_PENDING) {
    if (!park(waits, payload, len)) fail(id, ENOMEM, 1);
    return;
  }

  size_t nbase = 0;
  if (inherit) while (environ[nbase]) nbase++;
  char **envp = malloc((nbase + envc + 1) * sizeof *envp);
  if (!envp) { fail(id, ENOMEM, 1); return; }
  size_t n = 0;
  for (size_t i = 0; i < nbase; i++) {
    int overridden = 0;
    for (size_t j = 0; j < envc && !overridden; j++) overridden = same_key(environ[i], overrides[j]);
    if (!overridden) envp[n++] = environ[i];
  }
  for (size_t j = 0; j < envc; j++) envp[n++] = overrides[j];
  envp[n] = NULL;

  char file[4096];
  int err = resolve(argv[0], env_get(envp, "PATH"), cwd, file, sizeof file);
  int at = 0, fd = -1;
  pid_t pid = 0;
  if (err == 0) {
    at = 1;
    fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) err = errno;
  }
  if (err == 0) {
    /* argv must be NULL-terminated: the count field after it is overwritten for the call. */
    char *saved = argv[argc];
    argv[argc] = NULL;
    /* The ENOEXEC fallback's argv, prepared here: the vfork child must not allocate. */
    char **script = malloc((argc + 2) * sizeof *script);
    if (!script) err = ENOMEM;
    else {
      script[0] = "/bin/sh";
      script[1] = file;
      for (size_t i = 1; i <= argc; i++) script[i + 1] = argv[i];
      err = spawn_file(&pid, file, fd, cwd, argv, envp, script);
      free(script);
    }
    argv[argc] = saved;
  }
  free(envp);
  if (err != 0) {
    if (fd >= 0) {
      close(fd);
      unlink(out);
    }
    fail(id, err, at);
    return;
  }
  /* Keep a read-only descriptor (for the size and the lease test); the child has its own copies. */
  char self[64];
  snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
  int rfd = open(self, O_RDONLY | O_CLOEXEC);
  if (rfd >= 0) close(fd);
  track(pid, rfd >= 0 ? rfd : fd, rfd >= 0, out, id, opens);
  reply("S %s %ld\n", id, pid, 0, 0);
}

static char *inbuf;
static size_t inlen, incap;

/* One frame's payload: a request, or a control frame (`L`, n: close latch n). */
static void handle_frame(char *payload, uint32_t len) {
  size_t nfields = 0;
  for (uint32_t i = 0; i < len; i++) nfields += payload[i] == 0;
  char **fields = malloc((nfields + 1) * sizeof *fields);
  if (!fields) _exit(70);
  size_t k = 0;
  for (uint32_t i = 0; i < len; i += (uint32_t)strlen(payload + i) + 1) fields[k++] = payload + i;
  fields[k] = NULL;
  if (k == 2 && strcmp(fields[0], "L") == 0) set_latch(parse_latch(fields[1]), LATCH_CLOSED);
  else if (k == 2 && strcmp(fields[0], "W") == 0) withdraw(fields[1]);
  else if (k == 4 && strcmp(fields[0], "J") == 0) add_journal(parse_latch(fields[1]), fields[2], fields[3]);
  else spawn_one(fields, k, payload, len);
  free(fields);
}

/* Handles every complete frame in the input buffer. */
static void drain_frames(void) {
  size_t off = 0;
  while (inlen - off >= 4) {
    const unsigned char *h = (const unsigned char *)inbuf + off;
    uint32_t len = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    if (inlen - off - 4 < len) break;
    char *payload = inbuf + off + 4;
    /* Not a frame this protocol produces: the sender is broken. */
    if (len == 0 || payload[len - 1] != 0) malformed();
    handle_frame(payload, len);
    off += 4 + len;
  }
  memmove(inbuf, inbuf + off, inlen - off);
  inlen -= off;
}

/* Reads what orun wrote and handles every complete frame; EOF means orun is gone. */
static void read_input(void) {
  if (incap - inlen < 65536) {
    incap = incap ? incap * 2 : 131072;
    inbuf = realloc(inbuf, incap);
    if (!inbuf) _exit(70);
  }
  ssize_t n = read(STDIN_FILENO, inbuf + inlen, incap - inlen);
  if (n == 0) {
    flush_out();
    abandon_steps();
  }
  if (n < 0 && errno != EINTR && errno != EAGAIN) _exit(73);
  if (n > 0) {
    inlen += (size_t)n;
    drain_frames();
  }
}

/*
 * Opens the latches of processes that exited 0 — after handling input orun wrote meanwhile: it closes a
 * latch before it signals a process it stops, and that process may exit 0 on the signal.
 */
static void open_latches(void) {
  if (nto_open == 0) return;
  struct pollfd in = {STDIN_FILENO, POLLIN, 0};
  while (poll(&in, 1, 0) > 0 && (in.revents & (POLLIN | POLLHUP))) read_input();
  for (size_t i = 0; i < nto_open; i++) set_latch(to_open[i], LATCH_OPEN);
  nto_open = 0;
}

int main(void) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return 71;
  /*
   * A session of our own: a kill aimed at orun's whole process group (`kill -9 -PGID`, a CI job being
   * stopped, `timeout -s KILL`) must not take the helper along, or nobody would be left to stop the
   * steps (each in its own session) — the helper outlives orun just long enough to kill them.
   */
  setsid();
  /* Ctrl-C and a closing terminal are orun's to handle; it tells the helper what to stop. */
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGIO, SIG_IGN); /* a lease break (see writers_remain) must not kill us */

  int lingering = 0;
  for (;;) {
    struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {sfd, POLLIN, 0}};
    int timeout = outlen > 0 ? (int)ms_until(&due) : -1;
    if (lingering && (timeout < 0 || timeout > LINGER_POLL_MS)) timeout = LINGER_POLL_MS;
    if (poll(fds, 2, timeout) < 0) {
      if (errno == EINTR) continue;
      return 72;
    }
    /* Input first: a latch closed before a stop signal must be seen before the exit that signal caused. */
    if (fds[0].revents & (POLLIN | POLLHUP)) read_input();
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) > 0) {}
      reap();
    }
    /* A child may have ended while we were spawning: reap before replying. */
    reap();
    lingering = settle_lingering();
    open_latches();
    release_waiters();
    if (urgent || (outlen > 0 && ms_until(&due) == 0)) flush_out();
    if (outlen == 0) clean_up_ended();
  }
}
