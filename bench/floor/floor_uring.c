/*
 * floor_uring: floor.c's socket work done through io_uring, to measure
 * whether an io_uring engine could go below the epoll floor under the CPU
 * a connection costs (issue 11). Same options (-e/-d, -s, -t; every other
 * option is ignored), same roles and the same bytes on the wire as
 * floor.c: 32-byte nonces both ways, then the 288-byte DH messages (the
 * client's first), TCP_NODELAY and SO_KEEPALIVE on the dialled socket,
 * data in 1060-byte frames (plaintext length in the last four bytes; no
 * encryption, no MAC), a half-close with shutdown(SHUT_WR) on each EOF,
 * and two closes.
 *
 * Every per-connection socket operation is an io_uring request (multishot
 * accept, socket, connect, send, recv, setsockopt as a socket uring_cmd,
 * shutdown, close), and the loop makes one io_uring_enter per iteration:
 * it submits everything prepared and waits for at least one completion.
 * Raw system calls and <linux/io_uring.h> only; no liburing. Needs Linux
 * 6.7 or later (setsockopt through io_uring).
 *
 * Each direction has at most one send and one recv outstanding: a recv is
 * submitted only when the previous frame has been written, linked after
 * its send (IOSQE_IO_LINK) so that it starts only once the send completed;
 * sends use MSG_WAITALL, so that io_uring writes the rest of a partial
 * send itself, and a send short after all (an error) cancels the linked
 * recv, which is then submitted again after the rest. A connection is
 * freed only when none of its requests is outstanding.
 *
 * Measure it as if it were ours, against the epoll floor or the reference
 * (Linux only):
 *
 *	cc -O2 -Wall -o /tmp/floor-uring bench/floor/floor_uring.c
 *	cc -O2 -o /tmp/floor bench/floor/floor.c
 *	go build -o /tmp/bench ./bench
 *	/tmp/bench -ours /tmp/floor-uring -ref /tmp/floor -only '^connect-f$|^latency$'
 *	/tmp/bench -ours /tmp/floor-uring -only '^connect-f$|^latency$'
 *
 * Built with -DSHUTDOWN_SYSCALL it calls shutdown(2) directly instead of
 * submitting IORING_OP_SHUTDOWN, which the kernel hands to io-wq worker
 * threads (on 6.18 the process grows a few: a wake-up and a context
 * switch per shutdown); everything else stays in the ring.
 *
 * Not a tunnel: never use it for anything but measuring.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addr.h"

/* Newer than some installed headers (Linux 6.7). */
#define OP_SETSOCKOPT 3 /* SOCKET_URING_OP_SETSOCKOPT */

#define FRAME 1060
#define PAYLOAD 1024
#define SQ_ENTRIES 4096
#define CQ_ENTRIES (2 * SQ_ENTRIES)

enum { CONNECTING, NONCE, DH, DATA };

/* What a completion is for: the low four bits of user_data. */
enum {
	T_ACCEPT,     /* multishot accept on the listener (no connection) */
	T_SOCKET,     /* the dialled socket */
	T_CONNECT,    /* its connect */
	T_HSSEND,     /* a handshake message */
	T_HSRECV,     /* handshake bytes */
	T_RECV,       /* data in: +0 fwd (from acc), +1 rev (from dial) */
	T_RECV_REV,
	T_SEND,       /* data out: +0 fwd (to dial), +1 rev (to acc) */
	T_SEND_REV,
	T_SHUT,       /* shutdown(SHUT_WR) of a direction's output */
	T_SHUT_REV,
	T_OPT,        /* setsockopt on the dialled socket */
	T_CANCEL,     /* cancel what is outstanding on a socket */
	T_CLOSE,
};

struct dir {
	char buf[FRAME]; /* to write */
	size_t len, off; /* bytes to write in buf; bytes of them written */
	char in_[FRAME]; /* read */
	size_t rlen;     /* opening: bytes of a frame read so far */
	int got, have;   /* a recv's result, not yet taken in */
	int reading, writing, shutting;
	int eof, shut;
};

struct conn {
	int sock[2]; /* 0: accepted, 1: dialled (-1: none yet, or closed) */
	int busy[2]; /* requests outstanding on each socket, close aside */
	int closing[2];
	int ops;     /* requests outstanding in all */
	int dead;
	int state;
	int enc;
	int connected;
	int hssending; /* handshake sends outstanding */
	int optsdone;
	size_t got;   /* handshake bytes read of the current message */
	char hs[512]; /* handshake bytes read */
	struct dir d[2]; /* 0 fwd: acc -> dial; 1 rev: dial -> acc */
};

static const char zeros[288]; /* what the handshake sends: only sizes matter */
static const int one = 1;
static int encrypt_mode, listener;
static struct sockaddr_in target;

/* The ring. */
static int ring;
static unsigned *sq_khead, *sq_ktail, sq_mask, sq_entries, sq_tail, sq_done;
static unsigned *cq_khead, *cq_ktail, cq_mask;
static struct io_uring_sqe *sqes;
static struct io_uring_cqe *cqes;

static int enter(unsigned submit, unsigned wait, unsigned flags)
{
	return syscall(__NR_io_uring_enter, ring, submit, wait, flags, NULL, 0);
}

static void setup(void)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
	p.cq_entries = CQ_ENTRIES;
	ring = syscall(__NR_io_uring_setup, SQ_ENTRIES, &p);
	if (ring < 0)
		die("io_uring_setup");
	if (!(p.features & IORING_FEAT_SINGLE_MMAP) || !(p.features & IORING_FEAT_NODROP)) {
		fprintf(stderr, "floor_uring: kernel too old\n");
		exit(1);
	}
	size_t sqsz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cqsz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	size_t sz = sqsz > cqsz ? sqsz : cqsz;
	char *r = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	if (r == MAP_FAILED)
		die("mmap ring");
	sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sqes == MAP_FAILED)
		die("mmap sqes");
	sq_khead = (unsigned *)(r + p.sq_off.head);
	sq_ktail = (unsigned *)(r + p.sq_off.tail);
	sq_mask = *(unsigned *)(r + p.sq_off.ring_mask);
	sq_entries = p.sq_entries;
	unsigned *array = (unsigned *)(r + p.sq_off.array);
	for (unsigned i = 0; i < p.sq_entries; i++)
		array[i] = i;
	sq_tail = sq_done = *sq_ktail;
	cq_khead = (unsigned *)(r + p.cq_off.head);
	cq_ktail = (unsigned *)(r + p.cq_off.tail);
	cq_mask = *(unsigned *)(r + p.cq_off.ring_mask);
	cqes = (struct io_uring_cqe *)(r + p.cq_off.cqes);
}

/* Submits what is prepared without waiting (the SQ is full). */
static void flush(void)
{
	while (sq_done != sq_tail) {
		__atomic_store_n(sq_ktail, sq_tail, __ATOMIC_RELEASE);
		int n = enter(sq_tail - sq_done, 0, 0);
		if (n < 0) {
			if (errno != EINTR && errno != EAGAIN && errno != EBUSY)
				die("io_uring_enter");
			/* the CQ overflowed: let the kernel move what it holds */
			enter(0, 0, IORING_ENTER_GETEVENTS);
			continue;
		}
		sq_done += n;
	}
}

/* Makes room for n SQEs in a row (a link must not straddle two submits). */
static void room(unsigned n)
{
	if (sq_tail + n - __atomic_load_n(sq_khead, __ATOMIC_ACQUIRE) > sq_entries)
		flush();
}

static struct io_uring_sqe *sqe(int op, int fd, struct conn *c, int tag)
{
	room(1);
	struct io_uring_sqe *s = &sqes[sq_tail++ & sq_mask];
	memset(s, 0, sizeof(*s));
	s->opcode = op;
	s->fd = fd;
	s->user_data = (uint64_t)(uintptr_t)c | tag;
	if (c != NULL)
		c->ops++;
	return s;
}

/* An SQE for a request on socket i of c. */
static struct io_uring_sqe *sockop(int op, struct conn *c, int i, int tag)
{
	c->busy[i]++;
	return sqe(op, c->sock[i], c, tag);
}

static int cipher(struct conn *c) { return c->enc ? 1 : 0; }

/* Whether socket i can take data yet: the dialled one once connected. */
static int ready(struct conn *c, int i) { return i == 0 || c->connected; }

static void closeall(struct conn *c)
{
	for (int i = 0; i < 2; i++) {
		if (c->sock[i] < 0 || c->closing[i])
			continue;
		/* A shutdown runs on an io-wq worker and looks its fd up
		 * there: close after it, never before (the fd could be
		 * another connection's by then). */
		if (c->d[1 - i].shutting)
			continue;
		room(2);
		if (c->busy[i]) {
			struct io_uring_sqe *s = sqe(IORING_OP_ASYNC_CANCEL, c->sock[i], c, T_CANCEL);
			s->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
			s->flags = IOSQE_IO_HARDLINK;
		}
		sqe(IORING_OP_CLOSE, c->sock[i], c, T_CLOSE);
		c->closing[i] = 1;
	}
}

static void drop(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	closeall(c);
}

static void setopts(struct conn *c)
{
	if (c->optsdone || c->sock[1] < 0 || c->state != DATA)
		return;
	c->optsdone = 1;
	static const int opts[2][2] = {{IPPROTO_TCP, TCP_NODELAY}, {SOL_SOCKET, SO_KEEPALIVE}};
	for (int k = 0; k < 2; k++) {
		struct io_uring_sqe *s = sockop(IORING_OP_URING_CMD, c, 1, T_OPT);
		s->cmd_op = OP_SETSOCKOPT;
		s->addr = (uint64_t)(uint32_t)opts[k][0] | (uint64_t)(uint32_t)opts[k][1] << 32; /* level, optname */
		s->file_index = sizeof(one); /* optlen */
		s->addr3 = (uint64_t)(uintptr_t)&one; /* optval */
	}
}

static void recvop(struct conn *c, int k)
{
	struct dir *d = &c->d[k];
	size_t want = c->enc == !k ? PAYLOAD : FRAME - d->rlen; /* sealing: plaintext in */
	struct io_uring_sqe *s = sockop(IORING_OP_RECV, c, k, T_RECV + k);
	s->addr = (uint64_t)(uintptr_t)(d->in_ + d->rlen);
	s->len = want;
	d->reading = 1;
}

/* Moves direction k (input socket k, output socket 1-k) as far as it goes
 * without waiting. */
static void pump(struct conn *c, int k)
{
	struct dir *d = &c->d[k];
	int out = 1 - k;
	if (c->dead || c->state != DATA || d->shut || d->shutting || d->writing)
		return;
	int canout = ready(c, out) && !(out == cipher(c) && c->hssending);
	if (d->off < d->len) {
		if (!canout)
			return;
		int link = !d->eof && !d->have && !d->reading && ready(c, k);
		room(2);
		struct io_uring_sqe *s = sockop(IORING_OP_SEND, c, out, T_SEND + k);
		s->addr = (uint64_t)(uintptr_t)(d->buf + d->off);
		s->len = d->len - d->off;
		s->msg_flags = MSG_NOSIGNAL | MSG_WAITALL;
		d->writing = 1;
		if (link) {
			s->flags = IOSQE_IO_LINK;
			recvop(c, k);
		}
		return;
	}
	d->len = d->off = 0;
	if (d->eof) {
		if (!canout)
			return;
#ifdef SHUTDOWN_SYSCALL
		shutdown(c->sock[out], SHUT_WR);
		d->shut = 1;
		if (c->d[0].shut && c->d[1].shut)
			drop(c);
#else
		struct io_uring_sqe *s = sockop(IORING_OP_SHUTDOWN, c, out, T_SHUT + k);
		s->len = SHUT_WR;
		d->shutting = 1;
#endif
		return;
	}
	if (!d->have && !d->reading && ready(c, k))
		recvop(c, k);
}

/* Takes in what direction k's last recv read, once its buffer is free. */
static void take(struct conn *c, int k)
{
	struct dir *d = &c->d[k];
	if (d->writing || d->off < d->len) {
		pump(c, k);
		return;
	}
	d->len = d->off = 0;
	if (d->have) {
		int n = d->got;
		d->have = 0;
		if (n == 0) {
			d->eof = 1;
		} else if (c->enc == !k) { /* seal */
			uint32_t l = htonl(n);
			memcpy(d->buf, d->in_, n);
			memset(d->buf + n, 0, FRAME - 4 - n);
			memcpy(d->buf + FRAME - 4, &l, 4);
			d->len = FRAME;
		} else {
			d->rlen += n;
			if (d->rlen == FRAME) {
				uint32_t l;
				memcpy(&l, d->in_ + FRAME - 4, 4);
				d->len = ntohl(l);
				if (d->len > PAYLOAD) {
					drop(c);
					return;
				}
				memcpy(d->buf, d->in_, d->len);
				d->rlen = 0;
			}
		}
	}
	pump(c, k);
}

static void startdata(struct conn *c)
{
	c->state = DATA;
	setopts(c);
	pump(c, 0);
	pump(c, 1);
}

static void hssend(struct conn *c, size_t n)
{
	struct io_uring_sqe *s = sockop(IORING_OP_SEND, c, cipher(c), T_HSSEND);
	s->addr = (uint64_t)(uintptr_t)zeros;
	s->len = n;
	s->msg_flags = MSG_NOSIGNAL | MSG_WAITALL;
	c->hssending++;
}

/* The handshake, both roles, on what has been read so far. */
static void handshake(struct conn *c)
{
	for (;;) {
		size_t need = c->state == NONCE ? 32 : 288;
		if (c->got >= need) {
			memmove(c->hs, c->hs + need, c->got - need);
			c->got -= need;
			if (c->state == NONCE) {
				c->state = DH;
				if (c->enc)
					hssend(c, 288); /* client: our DH message goes first */
				continue;
			}
			if (c->got > 0) {
				drop(c); /* peers here never send data ahead */
				return;
			}
			if (!c->enc)
				hssend(c, 288);
			startdata(c);
			return;
		}
		struct io_uring_sqe *s = sockop(IORING_OP_RECV, c, cipher(c), T_HSRECV);
		s->addr = (uint64_t)(uintptr_t)(c->hs + c->got);
		s->len = sizeof(c->hs) - c->got;
		return;
	}
}

static void startnonce(struct conn *c)
{
	c->state = NONCE;
	hssend(c, 32);
	handshake(c);
}

static void dial(struct conn *c)
{
	struct io_uring_sqe *s = sqe(IORING_OP_SOCKET, AF_INET, c, T_SOCKET);
	s->off = SOCK_STREAM | SOCK_CLOEXEC;
	s->len = 0;
}

static void armaccept(void)
{
	struct io_uring_sqe *s = sqe(IORING_OP_ACCEPT, listener, NULL, T_ACCEPT);
	s->ioprio = IORING_ACCEPT_MULTISHOT;
	s->accept_flags = SOCK_CLOEXEC;
}

static void accepted(int fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		die("calloc");
	c->sock[0] = fd;
	c->sock[1] = -1;
	c->enc = encrypt_mode;
	if (c->enc) {
		c->state = CONNECTING;
		dial(c);
	} else {
		startnonce(c);
		dial(c);
	}
}

static void complete(uint64_t ud, int res, unsigned flags)
{
	int tag = ud & 15;
	struct conn *c = (struct conn *)(uintptr_t)(ud & ~(uint64_t)15);
	if (tag == T_ACCEPT) {
		if (res >= 0)
			accepted(res);
		if (!(flags & IORING_CQE_F_MORE))
			armaccept();
		return;
	}
	c->ops--;
	switch (tag) {
	case T_SOCKET:
		if (res < 0) {
			errno = -res;
			die("socket");
		}
		c->sock[1] = res;
		if (c->dead) {
			closeall(c);
			break;
		}
		c->busy[1]++;
		{
			struct io_uring_sqe *s = sqe(IORING_OP_CONNECT, res, c, T_CONNECT);
			s->addr = (uint64_t)(uintptr_t)&target;
			s->off = sizeof(target);
		}
		setopts(c);
		break;
	case T_CONNECT:
		c->busy[1]--;
		if (c->dead)
			break;
		if (res < 0) {
			drop(c);
			break;
		}
		c->connected = 1;
		if (c->state == CONNECTING) {
			startnonce(c);
		} else {
			pump(c, 0);
			pump(c, 1);
		}
		break;
	case T_HSSEND:
		c->busy[cipher(c)]--;
		c->hssending--;
		if (c->dead)
			break;
		if (res != 32 && res != 288) {
			drop(c);
			break;
		}
		pump(c, 0);
		pump(c, 1);
		break;
	case T_HSRECV:
		c->busy[cipher(c)]--;
		if (c->dead)
			break;
		if (res <= 0) {
			drop(c);
			break;
		}
		c->got += res;
		handshake(c);
		break;
	case T_RECV:
	case T_RECV_REV: {
		int k = tag - T_RECV;
		c->busy[k]--;
		c->d[k].reading = 0;
		if (c->dead)
			break;
		if (res == -ECANCELED) { /* its send was short: again after the rest */
			pump(c, k);
			break;
		}
		if (res < 0) {
			drop(c);
			break;
		}
		c->d[k].got = res;
		c->d[k].have = 1;
		take(c, k);
		break;
	}
	case T_SEND:
	case T_SEND_REV: {
		int k = tag - T_SEND;
		c->busy[1 - k]--;
		c->d[k].writing = 0;
		if (c->dead)
			break;
		if (res < 0) {
			drop(c);
			break;
		}
		c->d[k].off += res;
		take(c, k);
		break;
	}
	case T_SHUT:
	case T_SHUT_REV: {
		int k = tag - T_SHUT;
		c->busy[1 - k]--;
		c->d[k].shutting = 0;
		c->d[k].shut = 1;
		if (c->dead)
			closeall(c);
		else if (c->d[0].shut && c->d[1].shut)
			drop(c);
		break;
	}
	case T_OPT:
		c->busy[1]--;
		if (res < 0 && !c->dead) {
			errno = -res;
			die("setsockopt through io_uring");
		}
		break;
	case T_CANCEL:
	case T_CLOSE:
		break;
	}
	if (c->dead && c->ops == 0)
		free(c);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	options(argc, argv, "floor_uring", &encrypt_mode, &sa, &target);
	/* Sockets stay blocking: io_uring tries each request without
	 * blocking first and waits by polling when it would block. */
	listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(listener, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(listener, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if (bind(listener, (struct sockaddr *)&sa, sizeof(sa)) || listen(listener, 4096))
		die("listen");
	setup();
	armaccept();
	for (;;) {
		__atomic_store_n(sq_ktail, sq_tail, __ATOMIC_RELEASE);
		int n = enter(sq_tail - sq_done, 1, IORING_ENTER_GETEVENTS);
		if (n < 0) {
			if (errno != EINTR && errno != EAGAIN && errno != EBUSY)
				die("io_uring_enter");
		} else {
			sq_done += n;
		}
		unsigned head = *cq_khead;
		for (;;) {
			unsigned tail = __atomic_load_n(cq_ktail, __ATOMIC_ACQUIRE);
			if (head == tail)
				break;
			while (head != tail) {
				struct io_uring_cqe *e = &cqes[head & cq_mask];
				uint64_t ud = e->user_data;
				int res = e->res;
				unsigned fl = e->flags;
				head++;
				__atomic_store_n(cq_khead, head, __ATOMIC_RELEASE);
				complete(ud, res, fl);
			}
		}
	}
}
