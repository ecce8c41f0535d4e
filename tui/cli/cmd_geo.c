/*
 * cmd_geo.c: the places of a case's IP addresses from the command line:
 * after a load (cmd_load.c) every new address is looked up once in the
 * offline databases (core/geoip.c, core/ipgeo.c); `--geoip DIR` puts a
 * user's own MaxMind files first. A missing database is one warning,
 * never an error: the places are then "unknown".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "geoip.h"
#include "ipgeo.h"
#include "sanitize.h"

struct geoip *cli_geoip_open(const char *user_dir)
{
	char **dirs = geoip_default_dirs(user_dir);
	struct geoip *g = geoip_open((const char *const *)dirs);
	geoip_dirs_free(dirs);
	return g;
}

int cli_geoip_enrich_with(struct store *st, struct geoip *g, bool quiet)
{
	const char *w = geoip_warning(g);
	if (w) {
		char *sw = sanitize_err(w, strlen(w));
		fprintf(stderr, "auditscope: warning: %s\n", sw);
		free(sw);
	}
	struct ipgeo_stats s;
	char *cause = NULL;
	int rc = 0;
	if (ipgeo_enrich(st, g, &s, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		rc = 1;
	} else if (!quiet && s.looked_up) {
		char *d = sanitize(geoip_describe(g), strlen(geoip_describe(g)));
		printf("ip places: %lld new addresses, %lld with a country, %lld with a network (%s)\n",
		       (long long)s.looked_up, (long long)s.located, (long long)s.networks, d);
		free(d);
	}
	geoip_free(g);
	return rc;
}
