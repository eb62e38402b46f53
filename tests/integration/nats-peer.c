/* nats-peer - NATS's side of test-nats.sh, with libnats alone (no
 * airsup), standing for what runs on another host or for the operator's
 * nats CLI.
 *
 *   nats-peer stream URL NAME SUBJECT [MAXMSGSIZE]
 *       creates the JetStream stream NAME (file storage) for SUBJECT,
 *       or finds it there; with MAXMSGSIZE, it refuses larger messages.
 *   nats-peer js-pub URL SUBJECT N
 *       publishes N messages to JetStream, payloads "0".."N-1", each
 *       acknowledged by the stream.
 *   nats-peer pub URL SUBJECT SIZE
 *       publishes one message of SIZE bytes ('x') to SUBJECT, core NATS,
 *       and flushes it.
 *   nats-peer hpub URL SUBJECT BLOCK
 *       publishes one message (payload "h") to SUBJECT with BLOCK as its
 *       header block as it goes on the wire, each '|' in it a CRLF
 *       (libnats's natsMsg_create(), which its parser uses: any block,
 *       not only what natsMsgHeader_Set() writes).
 *   nats-peer js-dump URL NAME
 *       prints the payload of every message the stream NAME holds, one a
 *       line, in stream order (a 4-byte one as the number it is).
 *   nats-peer js-headers URL NAME
 *       prints, for the same messages, their Airsup-Type and Nats-Msg-Id
 *       headers ("-" for one a message lacks), blank-separated. */
#define _GNU_SOURCE
#include <nats/nats.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static natsConnection *nc;
static jsCtx *js;

static int connect_to(const char *url) {
        natsStatus s = natsConnection_ConnectTo(&nc, url);

        if (s == NATS_OK)
                s = natsConnection_JetStream(&js, nc, NULL);
        if (s != NATS_OK)
                fprintf(stderr, "nats-peer: %s: %s\n", url, natsStatus_GetText(s));
        return s == NATS_OK ? 0 : -1;
}

static int stream(const char *name, const char *subject, int32_t max_msg_size) {
        jsStreamConfig sc;
        jsStreamInfo *si = NULL;
        jsErrCode jerr = 0;
        natsStatus s;

        jsStreamConfig_Init(&sc);
        sc.Name = name;
        sc.Subjects = &subject;
        sc.SubjectsLen = 1;
        sc.Storage = js_FileStorage;
        if (max_msg_size > 0)
                sc.MaxMsgSize = max_msg_size;
        s = js_AddStream(&si, js, &sc, NULL, &jerr);
        jsStreamInfo_Destroy(si);
        if (s != NATS_OK && jerr != JSStreamNameExistErr) {
                fprintf(stderr, "nats-peer: stream %s: %s (%d)\n", name, natsStatus_GetText(s), (int) jerr);
                return 1;
        }
        return 0;
}

static int js_pub(const char *subject, long n) {
        for (long i = 0; i < n; i++) {
                char buf[32];
                jsPubAck *ack = NULL;
                jsErrCode jerr = 0;
                natsStatus s;
                int len = snprintf(buf, sizeof(buf), "%ld", i);

                s = js_Publish(&ack, js, subject, buf, len, NULL, &jerr);
                jsPubAck_Destroy(ack);
                if (s != NATS_OK) {
                        fprintf(stderr, "nats-peer: publish %ld: %s\n", i, natsStatus_GetText(s));
                        return 1;
                }
        }
        return 0;
}

static void payload_line(natsMsg *m) {
        /* req-peer's numbers are 4 bytes, little-endian. */
        if (natsMsg_GetDataLength(m) == 4) {
                uint32_t v;
                memcpy(&v, natsMsg_GetData(m), 4);
                printf("%u\n", v);
        } else
                printf("%.*s\n", natsMsg_GetDataLength(m), natsMsg_GetData(m));
}

static void headers_line(natsMsg *m) {
        const char *type = NULL, *id = NULL;

        if (natsMsgHeader_Get(m, "Airsup-Type", &type) != NATS_OK)
                type = NULL;
        if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) != NATS_OK)
                id = NULL;
        printf("%s %s\n", type ? type : "-", id ? id : "-");
}

static int js_dump(const char *name, void (*line)(natsMsg *m)) {
        jsStreamInfo *si = NULL;
        jsErrCode jerr = 0;
        natsStatus s = js_GetStreamInfo(&si, js, name, NULL, &jerr);
        uint64_t first, last;

        if (s != NATS_OK) {
                fprintf(stderr, "nats-peer: stream %s: %s\n", name, natsStatus_GetText(s));
                return 1;
        }
        first = si->State.FirstSeq;
        last = si->State.LastSeq;
        jsStreamInfo_Destroy(si);
        for (uint64_t q = first; q <= last && last > 0; q++) {
                natsMsg *m = NULL;

                if (js_GetMsg(&m, js, name, q, NULL, &jerr) != NATS_OK)
                        continue;
                line(m);
                natsMsg_Destroy(m);
        }
        return 0;
}

static int pub(const char *subject, long size) {
        char *buf = malloc((size_t) size + 1);
        natsStatus s;

        if (!buf)
                return 1;
        memset(buf, 'x', (size_t) size);
        s = natsConnection_Publish(nc, subject, buf, (int) size);
        if (s == NATS_OK)
                s = natsConnection_FlushTimeout(nc, 5000);
        free(buf);
        if (s != NATS_OK)
                fprintf(stderr, "nats-peer: publish to %s: %s\n", subject, natsStatus_GetText(s));
        return s == NATS_OK ? 0 : 1;
}

extern natsStatus natsMsg_create(natsMsg **msg, const char *subject, int subject_len, const char *reply,
                                 int reply_len, const char *buf, int buf_len, int hdr_len);

static int hpub(const char *subject, const char *block) {
        size_t n = strlen(block), k = 0;
        char *buf = malloc(2 * n + 2);
        natsMsg *m = NULL;
        natsStatus s;

        if (!buf)
                return 1;
        for (size_t i = 0; i < n; i++)
                if (block[i] == '|') {
                        buf[k++] = '\r';
                        buf[k++] = '\n';
                } else
                        buf[k++] = block[i];
        buf[k] = 'h';
        s = natsMsg_create(&m, subject, (int) strlen(subject), NULL, 0, buf, (int) k + 1, (int) k);
        if (s == NATS_OK)
                s = natsConnection_PublishMsg(nc, m);
        if (s == NATS_OK)
                s = natsConnection_FlushTimeout(nc, 5000);
        natsMsg_Destroy(m);
        free(buf);
        if (s != NATS_OK)
                fprintf(stderr, "nats-peer: publish to %s: %s\n", subject, natsStatus_GetText(s));
        return s == NATS_OK ? 0 : 1;
}

int main(int argc, char **argv) {
        int r = 2;

        if (argc < 3 || connect_to(argv[2]) < 0)
                return 2;
        if (argc == 5 && strcmp(argv[1], "stream") == 0)
                r = stream(argv[3], argv[4], 0);
        else if (argc == 6 && strcmp(argv[1], "stream") == 0)
                r = stream(argv[3], argv[4], (int32_t) strtol(argv[5], NULL, 10));
        else if (argc == 5 && strcmp(argv[1], "js-pub") == 0)
                r = js_pub(argv[3], atol(argv[4]));
        else if (argc == 5 && strcmp(argv[1], "pub") == 0)
                r = pub(argv[3], atol(argv[4]));
        else if (argc == 5 && strcmp(argv[1], "hpub") == 0)
                r = hpub(argv[3], argv[4]);
        else if (argc == 4 && strcmp(argv[1], "js-dump") == 0)
                r = js_dump(argv[3], payload_line);
        else if (argc == 4 && strcmp(argv[1], "js-headers") == 0)
                r = js_dump(argv[3], headers_line);
        else
                fprintf(stderr, "usage: nats-peer stream|js-pub|pub|hpub|js-dump|js-headers URL ...\n");
        jsCtx_Destroy(js);
        natsConnection_Destroy(nc);
        nats_Close();
        return r;
}
