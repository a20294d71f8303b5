/*
 * floor: the socket work of one spiped daemon and nothing else, to measure
 * the floor under the CPU a connection costs (issue 11). It takes spiped's
 * -e/-d, -s and -t (IPv4 literals, host:port or [host]:port; every other
 * option is ignored), and per connection makes the same system calls in
 * the same order as our engine:
 * accept4, epoll_ctl, a non-blocking connect, the handshake's messages
 * (32-byte nonces both ways, then the 288-byte DH messages: the client's
 * first), TCP_NODELAY and SO_KEEPALIVE on the dialled socket, then data in
 * 1060-byte frames (plaintext length in the last four bytes; no
 * encryption, no MAC), half-closes with shutdown, and two closes. The
 * handshake's bytes are zeros: only their sizes matter.
 *
 * Measure it as if it were ours, against the reference (Linux only):
 *
 *	cc -O2 -o /tmp/floor bench/floor/floor.c
 *	go run ./bench -ours /tmp/floor -only '^connect-f$'
 *
 * floor_uring.c is the same floor with the socket work done through
 * io_uring (one io_uring_enter per loop iteration), to see whether such an
 * engine could go below this one.
 *
 * Not a tunnel: never use it for anything but measuring.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "addr.h"

#define FRAME 1060
#define PAYLOAD 1024
#define BUF (2 * FRAME) /* small enough for malloc to keep off mmap */

enum { CONNECTING, NONCE, DH, DATA };

struct dir {
	int in, out;
	int seal;     /* 1: plaintext in, frames out */
	int canread;  /* input reported readable, not yet read short */
	int hup;      /* input reported hang-up: read on to EOF */
	char buf[BUF];
	size_t len, off; /* bytes to write in buf; bytes of them written */
	char in_[FRAME];
	size_t rlen; /* opening: bytes of a frame read so far */
	int eof, shut;
};

struct conn {
	int acc, dial;
	int state;
	int enc;
	size_t got; /* handshake bytes read of the current message */
	char hs[512]; /* handshake bytes read */
	struct dir fwd, rev; /* fwd: acc -> dial */
};

static struct conn *owner[65536];
static const char zeros[288]; /* what the handshake sends: only sizes matter */
static int epfd, encrypt_mode;
static struct sockaddr_in target;

static void reg(int fd, struct conn *c)
{
	struct epoll_event ev = {EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, {.fd = fd}};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		die("epoll_ctl");
	owner[fd] = c;
}

static void drop(struct conn *c)
{
	owner[c->acc] = NULL;
	close(c->acc);
	if (c->dial >= 0) {
		owner[c->dial] = NULL;
		close(c->dial);
	}
	free(c);
}

static int cipherfd(struct conn *c) { return c->enc ? c->dial : c->acc; }

/* The direction reading the ciphertext socket (its readiness the handshake
 * reads by, too). */
static struct dir *cipherdir(struct conn *c) { return c->enc ? &c->rev : &c->fwd; }

/* Moves one direction as far as it goes; -1: drop the connection. A short
 * read means the socket is empty (edge-triggered epoll reports what comes
 * after it), as in our engine. */
static int run(struct dir *d)
{
	for (;;) {
		if (d->shut)
			return 0;
		if (d->off < d->len) {
			ssize_t n = write(d->out, d->buf + d->off, d->len - d->off);
			if (n < 0)
				return errno == EAGAIN ? 0 : -1;
			d->off += n;
			continue;
		}
		d->len = d->off = 0;
		if (d->eof) {
			shutdown(d->out, SHUT_WR);
			d->shut = 1;
			return 0;
		}
		if (!d->canread)
			return 0;
		size_t want = d->seal ? PAYLOAD : FRAME - d->rlen;
		ssize_t n = read(d->in, d->seal ? d->buf : d->in_ + d->rlen, want);
		if (n < 0) {
			if (errno != EAGAIN)
				return -1;
			d->canread = 0;
			return 0;
		}
		if (n == 0) {
			d->eof = 1;
			continue;
		}
		if ((size_t)n < want && !d->hup)
			d->canread = 0;
		if (d->seal) {
			uint32_t l = htonl(n);
			memset(d->buf + n, 0, FRAME - 4 - n);
			memcpy(d->buf + FRAME - 4, &l, 4);
			d->len = FRAME;
			continue;
		}
		d->rlen += n;
		if (d->rlen == FRAME) {
			uint32_t l;
			memcpy(&l, d->in_ + FRAME - 4, 4);
			d->len = ntohl(l);
			if (d->len > PAYLOAD)
				return -1;
			memcpy(d->buf, d->in_, d->len);
			d->rlen = 0;
		}
	}
}

static void data(struct conn *c)
{
	if (run(&c->fwd) || run(&c->rev)) {
		drop(c);
		return;
	}
	if (c->fwd.shut && c->rev.shut)
		drop(c);
}

static void startdata(struct conn *c)
{
	int one = 1;
	setsockopt(c->dial, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->dial, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	c->state = DATA;
	c->fwd.in = c->acc, c->fwd.out = c->dial, c->fwd.seal = c->enc;
	c->rev.in = c->dial, c->rev.out = c->acc, c->rev.seal = !c->enc;
	data(c);
}

/* The handshake, both roles; returns -1 to drop. Reads as much as there
 * is, as our engine does, and takes the messages out of what it read. */
static int handshake(struct conn *c)
{
	int fd = cipherfd(c);
	for (;;) {
		size_t need = c->state == NONCE ? 32 : 288;
		if (c->got >= need) {
			memmove(c->hs, c->hs + need, c->got - need);
			c->got -= need;
			if (c->state == NONCE) {
				c->state = DH;
				if (c->enc && write(fd, zeros, 288) != 288)
					return -1; /* client: our DH message goes first */
				continue;
			}
			if (c->got > 0)
				return -1; /* peers here never send data ahead */
			if (!c->enc && write(fd, zeros, 288) != 288)
				return -1;
			startdata(c);
			return 1;
		}
		struct dir *d = cipherdir(c);
		if (!d->canread)
			return 0;
		ssize_t n = read(fd, c->hs + c->got, sizeof(c->hs) - c->got);
		if (n < 0) {
			if (errno != EAGAIN)
				return -1;
			d->canread = 0;
			return 0;
		}
		if (n == 0)
			return -1;
		if ((size_t)n < sizeof(c->hs) - c->got && !d->hup)
			d->canread = 0;
		c->got += n;
	}
}

static void startnonce(struct conn *c)
{
	char nonce[32] = {0};
	c->state = NONCE;
	if (write(cipherfd(c), nonce, 32) != 32) {
		drop(c);
		return;
	}
	if (handshake(c) < 0)
		drop(c);
}

static void dial(struct conn *c)
{
	c->dial = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->dial < 0)
		die("socket");
	if (connect(c->dial, (struct sockaddr *)&target, sizeof(target)) && errno != EINPROGRESS) {
		close(c->dial);
		c->dial = -1;
		drop(c);
		return;
	}
	reg(c->dial, c);
}

static void event(int fd, uint32_t ev)
{
	struct conn *c = owner[fd];
	if (c == NULL)
		return;
	struct dir *d = fd == c->acc ? &c->fwd : &c->rev;
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		d->canread = 1;
	if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		d->hup = 1;
	if (c->state == CONNECTING) {
		if (fd == c->dial && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			startnonce(c);
		return;
	}
	if (c->state == DATA) {
		data(c);
		return;
	}
	if (fd == cipherfd(c) && handshake(c) < 0)
		drop(c);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	options(argc, argv, "floor", &encrypt_mode, &sa, &target);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(l, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(l, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 4096))
		die("listen");
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1");
	struct epoll_event lev = {EPOLLIN | EPOLLET, {.fd = l}};
	epoll_ctl(epfd, EPOLL_CTL_ADD, l, &lev);
	struct epoll_event evs[256];
	for (;;) {
		int n = epoll_wait(epfd, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd != l) {
				event(fd, evs[i].events);
				continue;
			}
			int a;
			while ((a = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				if (a >= 65536) {
					close(a);
					continue;
				}
				struct conn *c = calloc(1, sizeof(*c));
				c->acc = a;
				c->dial = -1;
				c->enc = encrypt_mode;
				reg(a, c);
				if (c->enc) {
					c->state = CONNECTING;
					dial(c);
				} else {
					startnonce(c);
					if (owner[a] == c)
						dial(c);
				}
			}
		}
	}
}
