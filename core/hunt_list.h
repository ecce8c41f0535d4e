/*
 * hunt_list.h: every hunt, one line each, in menu order. Read several
 * times with a different HUNT(ID, entry): hunt.h makes enum hunt_id
 * (HUNT_ID) from it, hunt_entry.h declares the entries, hunt.c builds
 * the table. entry is the `const struct hunt_entry` a family file
 * (core/hunt_*.c) defines; adding a hunt is that entry and one line here.
 * No include guard: it is meant to be included more than once.
 */
/* mail read by apps (hunt_apps.c) */
HUNT(RARE_APPS, hunt_rare_apps)
HUNT(NEW_APP_FOR_MAILBOX, hunt_new_app_for_mailbox)
/* mailbox access (hunt_mailbox.c) */
HUNT(SYNC_ACCESS, hunt_sync_access)
HUNT(THROTTLED, hunt_throttled)
/* Exchange rules and settings (hunt_rules.c) */
HUNT(INBOX_RULES, hunt_inbox_rules)
HUNT(FORWARDING, hunt_forwarding)
/* identity: consents (hunt_consent.c), sessions and sign-ins (hunt_identity.c) */
HUNT(OAUTH_CONSENT, hunt_oauth_consent)
HUNT(TOKEN_REPLAY, hunt_token_replay)
HUNT(SIGNIN_THEN_MAIL, hunt_signin_then_mail)
HUNT(FAILED_THEN_SUCCESS, hunt_failed_then_success) /* hunt_logons.c */
HUNT(PASSWORD_SPRAY, hunt_password_spray)           /* hunt_logons.c */
/* where sign-ins and mail reads come from (hunt_places.c) */
HUNT(NEW_PLACE, hunt_new_place)
HUNT(HOSTING_SIGNIN, hunt_hosting_signin)
HUNT(IMPOSSIBLE_TRAVEL, hunt_impossible_travel)
/* covering tracks (hunt_rules.c) */
HUNT(ANTI_FORENSICS, hunt_anti_forensics)
