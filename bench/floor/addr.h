/*
 * addr.h: what floor.c and floor_uring.c share: dying with a message, and
 * reading spiped's -e, -s and -t with its IPv4 addresses (host:port, or
 * [host]:port as spiped writes literals).
 */
#ifndef FLOOR_ADDR_H
#define FLOOR_ADDR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *s) { perror(s); exit(1); }

static void parse(const char *hp, struct sockaddr_in *sa)
{
	char host[256];
	const char *c = strrchr(hp, ':');
	if (c == NULL || (size_t)(c - hp) >= sizeof(host)) {
		fprintf(stderr, "floor: bad address %s\n", hp);
		exit(1);
	}
	if (hp[0] == '[' && c > hp + 1 && c[-1] == ']') {
		memcpy(host, hp + 1, c - hp - 2);
		host[c - hp - 2] = 0;
	} else {
		memcpy(host, hp, c - hp);
		host[c - hp] = 0;
	}
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(atoi(c + 1));
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		fprintf(stderr, "floor: bad host %s\n", host);
		exit(1);
	}
}

/* options reads -e, -s and -t; every other option is ignored. */
static void options(int argc, char **argv, const char *name, int *enc,
    struct sockaddr_in *src, struct sockaddr_in *tgt)
{
	const char *s = NULL, *t = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-e"))
			*enc = 1;
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			s = argv[++i];
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			t = argv[++i];
	}
	if (s == NULL || t == NULL) {
		fprintf(stderr, "usage: %s -e|-d -s host:port -t host:port [ignored]\n", name);
		exit(1);
	}
	parse(s, src);
	parse(t, tgt);
}

#endif
