#!/usr/bin/env python3
"""Builds the non-walk messages of tests/fixtures/forged/ (issue 18, point 5) from real
corpus messages in ../shared/corpus: each NAME.eml with NAME.expect.json, and a row per
message in PROVENANCE.tsv (appended). Run from the repository root:

    python3 scripts/build_forged_fixtures.py ../shared/corpus

Every message is a real bounce, auto-reply or spam of the corpus, changed only where the
rule under attack needs it (subject and body language, reply headers, the form of our own
address, explanation text, our own MX's line on top of a spam). The expectation is the one
correct outcome: nothing but the true origin and the spammer's own domains is accused.
"""

import base64
import json
import re
import sys
from pathlib import Path

CORPUS = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus")
OUT = Path("tests/fixtures/forged")
REPO = "blowback shared corpus"

rows = []


def read(rel):
    return (CORPUS / rel).read_bytes().decode("latin-1")


def write(name, text, expect, source, change):
    (OUT / f"{name}.eml").write_bytes(text.encode("latin-1"))
    expect = {"rule": expect.pop("rule"), "source": source, **expect}
    (OUT / f"{name}.expect.json").write_text(json.dumps(expect, indent=2, ensure_ascii=False) + "\n")
    rows.append(f"{name}.eml\t{source}\t{change}")


def b64w(text):
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def header_set(msg, name, value):
    """Replaces (or adds after the first line) a top-level header of the outer message."""
    head, sep, body = msg.partition("\n\n")
    lines = head.split("\n")
    out, skip = [], False
    done = False
    for line in lines:
        if skip and line[:1] in (" ", "\t"):
            continue
        skip = False
        if line.lower().startswith(name.lower() + ":"):
            skip = True
            if value is not None and not done:
                out.append(f"{name}: {value}")
                done = True
            continue
        out.append(line)
    if value is not None and not done:
        out.append(f"{name}: {value}")
    return "\n".join(out) + sep + body


# --- Auto-replies delivered straight to us, in eleven languages --------------------
AUTO = "backscatter/bs-0006.eml"
auto_base = read(AUTO)
ORIG_SUBJECT = "Seu convite para ser PRIME phishing@pot! [Protocolo: 848222]"
langs = [
    # name, subject prefix, body, null sender, Auto-Submitted, In-Reply-To to ours
    ("de", "Abwesenheitsnotiz: ", "Ich bin bis zum 4. Dezember nicht im Büro und habe keinen Zugriff auf meine E-Mails.", True, False, False),
    ("fr", "Réponse automatique : ", "Je suis absent du bureau jusqu'au 4 décembre. Pour toute urgence, contactez l'accueil.", True, True, False),
    ("es", "Respuesta automática: ", "Estoy fuera de la oficina hasta el 4 de diciembre con acceso limitado al correo.", False, False, False),
    ("it", "Risposta automatica: ", "Sono fuori ufficio fino al 4 dicembre. Per urgenze contattare la segreteria.", False, True, False),
    ("nl", "Automatisch antwoord: ", "Ik ben afwezig tot 4 december en lees mijn e-mail niet.", True, False, False),
    ("pt", "Re: ", "Estou fora do escritório até 4 de dezembro, com acesso limitado ao e-mail.", False, False, True),
    ("pl", "Odpowiedź automatyczna: ", "Jestem poza biurem do 4 grudnia. W pilnych sprawach proszę dzwonić do sekretariatu.", False, True, False),
    ("ru", "Автоответ: ", "Я в отпуске до 4 декабря, доступ к почте ограничен.", False, False, False),
    ("ja", "自動応答: ", "12月4日まで不在にしております。メールは確認できません。", True, False, False),
    ("zh", "自动回复: ", "我将于12月4日前休假，期间无法及时回复邮件。", False, True, False),
    ("sv", "Automatiskt svar: ", "Jag är tjänstledig till den 4 december och läser inte min e-post.", False, False, False),
    ("en", "Auto: ", "I am out of the office until 4 December with no access to e-mail.", False, False, True),
]
for lang, prefix, body, null, auto, reply in langs:
    msg = auto_base
    subject = prefix + ORIG_SUBJECT
    subject_value = subject if subject.isascii() else b64w(subject)
    msg = header_set(msg, "Subject", subject_value)
    msg = header_set(msg, "Return-Path", "<>" if null else "<verwaltung@schreinerei-winkler.de>")
    msg = header_set(msg, "Auto-Submitted", "auto-replied" if auto else None)
    msg = header_set(msg, "X-Auto-Response-Suppress", None)
    if reply:
        msg = header_set(msg, "In-Reply-To", "<20231124063215.462B146B44@victim-domain.net>")
    head, _, _ = msg.partition("\n\n")
    head = header_set(head + "\n\n", "Content-Type", 'text/plain; charset="utf-8"').partition("\n\n")[0]
    head = header_set(head + "\n\n", "Content-Transfer-Encoding", "8bit").partition("\n\n")[0]
    msg = head + "\n\n" + body + "\n"
    signals = [s for s, on in [("null sender", null), ("Auto-Submitted", auto), ("a reply to our Message-ID", reply)] if on]
    signals.append("its subject" if prefix != "Re: " else "nothing else")
    write(
        f"autoreply-{lang}",
        msg.encode("utf-8").decode("latin-1"),
        {
            "rule": f"An auto-reply ({lang}) delivered straight to us is never spam received directly; signals: {', '.join(signals)}. The host that delivered it is not accused.",
            "accused_ips": [],
            "accused_domains": [],
            "mailbox_accounts": [],
            "must_not_contain": ["78.46.230.182", "nina.novak56"],
        },
        f"{AUTO} (auto-reply, format of sisimai set-of-emails rfc3834-02)",
        f"subject and body in {lang}; Return-Path {'<>' if null else 'non-null'}; Auto-Submitted {'set' if auto else 'removed'}; In-Reply-To {'at our domain' if reply else 'as in the source'}",
    )

# --- Challenge-response and MDNs ------------------------------------------------------
for name, subject, body, extra, signal in [
    ("challenge-null-sender", "Please confirm your message to verwaltung@schreinerei-winkler.de",
     "Your message is being held. To deliver it, confirm that you are a person by visiting\nhttps://verify.schreinerei-winkler.de/confirm?id=848222 within 7 days.",
     {"Return-Path": "<>"}, "a null envelope sender"),
    ("challenge-auto-submitted", "Verification required: Seu convite para ser PRIME",
     "I protect my inbox with a challenge-response filter. Reply to this message to be added to my list of approved senders.",
     {"Return-Path": "<verify@schreinerei-winkler.de>", "Auto-Submitted": "auto-generated"}, "Auto-Submitted"),
]:
    msg = header_set(auto_base, "Subject", subject)
    for k, v in extra.items():
        msg = header_set(msg, k, v)
    msg = header_set(msg, "X-Auto-Response-Suppress", None)
    head, _, _ = msg.partition("\n\n")
    write(name, head + "\n\n" + body + "\n",
          {"rule": f"A challenge-response request ({signal}) is never spam received directly, and its sender is not accused.",
           "accused_ips": [], "accused_domains": [], "mailbox_accounts": [],
           "must_not_contain": ["nina.novak56"]},
          f"{AUTO} (auto-reply)", f"rewritten as a challenge-response request with {signal}")

for name, rp, extra_hdr, signal in [
    ("mdn-null-sender", "<>", {}, "a null envelope sender"),
    ("mdn-reply-to-ours", "<verwaltung@schreinerei-winkler.de>", {"References": "<20231124063215.462B146B44@victim-domain.net>"}, "References naming our Message-ID"),
]:
    msg = header_set(auto_base, "Subject", "Read: " + ORIG_SUBJECT)
    msg = header_set(msg, "Return-Path", rp)
    msg = header_set(msg, "X-Auto-Response-Suppress", None)
    for k, v in extra_hdr.items():
        msg = header_set(msg, k, v)
    msg = header_set(msg, "Content-Type", 'multipart/report; report-type=disposition-notification; boundary="mdn-b"')
    msg = header_set(msg, "Content-Transfer-Encoding", None)
    head, _, _ = msg.partition("\n\n")
    body = ("--mdn-b\nContent-Type: text/plain; charset=us-ascii\n\nThe message sent on 24 Nov 2023 to verwaltung@schreinerei-winkler.de was displayed.\n\n"
            "--mdn-b\nContent-Type: message/disposition-notification\n\nReporting-UA: mail.schreinerei-winkler.de; Outlook\n"
            "Final-Recipient: rfc822;verwaltung@schreinerei-winkler.de\nOriginal-Message-ID: <20231124063215.462B146B44@wrkeynmwp.iwvobaoqfbvovy.com.br>\n"
            "Disposition: automatic-action/MDN-sent-automatically; displayed\n\n--mdn-b--\n")
    write(name, head + "\n\n" + body,
          {"rule": f"A message disposition notification ({signal}) is never spam received directly; the host that delivered it is not accused.",
           "accused_ips": [], "accused_domains": [], "mailbox_accounts": [],
           "must_not_contain": ["nina.novak56", "78.46.230.182"]},
          f"{AUTO} (auto-reply)", f"rewritten as an RFC 8098 MDN with {signal}")

# --- Freemail contacts ----------------------------------------------------------------
for name, src, ip, domains, accounts, local in [
    ("freemail-hotmail", "backscatter/bs-0002.eml", "172.105.188.10", [], ["susanl2001@hotmail.com"], "contact"),
    ("freemail-gmail", "backscatter/bs-0045.eml", "114.224.240.22", [], ["elizabethjohnson059@gmail.com"], None),
    ("freemail-and-own-site", "backscatter/bs-0013.eml", "113.191.139.142", ["correios-rastreamentoseguro.com.ua"], ["rodrigo-f-p@hotmail.com"], None),
]:
    text = read(src)
    write(name, text,
          {"rule": "An advertised address at a mailbox provider is an account to close (mailbox_provider party); the provider's domain is never accused as the spammer's site.",
           "accused_ips": [ip], "accused_domains": domains, "mailbox_accounts": accounts,
           "must_not_contain": ["review these registrations"]},
          src, "unchanged copy")

# --- Decoy explanation text -------------------------------------------------------------
DECOY = "backscatter/bs-0089.eml"
text = read(DECOY)
explain = ("550 5.7.1 Message rejected: the sending host is listed at http://www.mail-abuse.org/rbl/\n"
           "See http://www.ordb.org/faq/ and www.spamhaus.org for removal.\n")
text1 = text.replace("Unknown user: mike.jones@lakesidehvac.com\n", "Unknown user: mike.jones@lakesidehvac.com\n" + explain, 1)
write("decoy-explanation-report", text1,
      {"rule": "Blocklist pages quoted in the bouncer's explanation (mail-abuse.org, ordb.org, spamhaus.org) are never accused as advertised sites.",
       "accused_ips": ["73.83.190.129"], "accused_domains": ["charlottesviineladconsultant.de"], "mailbox_accounts": [],
       "must_not_contain": ["lisa_fischer9"]},
      DECOY, "explanation lines naming blocklists added to the bounce text")
lines = text.rstrip("\n").split("\n")
text2 = "\n".join(lines) + "\n\n--- Additional information from relay.lakesidehvac.com ---\n" + explain
write("decoy-explanation-trailer", text2,
      {"rule": "Explanation text the bouncer appended after the returned copy (inside what is carved as M) names blocklists, which are never accused as advertised sites.",
       "accused_ips": ["73.83.190.129"], "accused_domains": ["charlottesviineladconsultant.de"], "mailbox_accounts": [],
       "must_not_contain": ["lisa_fischer9"]},
      DECOY, "explanation lines naming blocklists appended after the inline copy")

# --- Our own address in every form ------------------------------------------------------
OWN = "backscatter/bs-0042.eml"
own = read(OWN)
forms = {
    "own-quoted": lambda t: t.replace("evyod@victim-domain.net", '"jane.secret"@victim-domain.net'),
    "own-encoded": lambda t: t.replace("From: Seu Gerente <evyod@victim-domain.net>",
                                        "From: " + b64w("jane.secret@victim-domain.net (Seu Gerente)") + " <jane.secret@victim-domain.net>")
                               .replace("evyod@", "jane.secret@"),
    "own-plus-batv": lambda t: t.replace("for <evyod@victim-domain.net>", "for <prvs=0123abcd45=jane.secret+promo@victim-domain.net>")
                                .replace("evyod@", "jane.secret+promo@"),
    "own-srs": lambda t: t.replace("From: Seu Gerente <evyod@victim-domain.net>",
                                    "Return-Path: <SRS0=3DAb12=3DXY=3Dvictim-domain.net=3Djane.secret@fwd.example.org>\nFrom: Seu Gerente <evyod@victim-domain.net>", 1)
                          .replace("evyod@", "jane.secret@"),
}
for name, change in forms.items():
    write(name, change(own),
          {"rule": "Our own address never appears in anything sent, whatever form its local part takes (quoted, RFC 2047 encoded, plus-tagged, BATV, SRS-wrapped).",
           "accused_ips": ["86.125.127.208"], "accused_domains": ["adquiraseuplanobr.com.br"], "mailbox_accounts": [],
           "must_not_contain": ["jane.secret", "jane.secret+promo", "evyod"]},
          OWN, f"our address rewritten as {name[4:]} jane.secret")

# A bounce of a bounce: a forwarder returns the bounce it could not hand to jane.secret.
# The forwarder received the inner bounce from Outlook and says so in its own line.
inner_lines = own.split("\n")
cut = next(i for i, l in enumerate(inner_lines) if l.startswith("Received: from MN2PR03MB3783"))
inner = (
    "Return-Path: <>\n"
    "Received: from mail-co1nam11on20637.outbound.protection.outlook.com ([2a01:111:f400:7ede::27d]:60059)\n"
    "\tby fwd.example.org with esmtps (TLS1.3) id V68DSL-0005w9-x0\n"
    "\tfor evyod@victim-domain.net; Tue, 15 Jun 2021 09:54:19 +0000\n"
    + "\n".join(inner_lines[cut:])
).replace("evyod@", "jane.secret@")
outer = (
    "Return-Path: <>\n"
    "Delivered-To: postmaster@victim-domain.net\n"
    "Received: from fwd.example.org (fwd.example.org [51.68.24.99])\n"
    "\tby mx1.victim-domain.net (Postfix) with ESMTPS id 7QQ1FwdBounce\n"
    "\tfor <postmaster@victim-domain.net>; Tue, 15 Jun 2021 12:10:02 +0200 (CEST)\n"
    "From: Mail Delivery System <MAILER-DAEMON@fwd.example.org>\n"
    "To: postmaster@victim-domain.net\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Date: Tue, 15 Jun 2021 12:10:01 +0200 (CEST)\n"
    "Message-Id: <20210615101001.7QQ1Fwd@fwd.example.org>\n"
    "MIME-Version: 1.0\n"
    'Content-Type: multipart/report; report-type=delivery-status; boundary="outer-b"\n\n'
    "--outer-b\nContent-Type: text/plain; charset=us-ascii\n\n"
    "I could not deliver the attached message to <jane.secret@victim-domain.net>: mailbox full.\n\n"
    "--outer-b\nContent-Type: message/delivery-status\n\n"
    "Reporting-MTA: dns; fwd.example.org\n\n"
    "Final-Recipient: rfc822; jane.secret@victim-domain.net\nOriginal-Recipient: rfc822;" + b64w("jane.secret@victim-domain.net") + "\n"
    "Action: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 <jane.secret@victim-domain.net>: mailbox full\n\n"
    "--outer-b\nContent-Type: message/rfc822\n\n" + inner + "\n--outer-b--\n"
)
write("own-nested-bounce", outer,
      {"rule": "In a bounce of a bounce our address is a failed recipient; it never appears in ARF Original-Rcpt-To, X-ARF smtp_to, text or samples, at any depth. The chain our MX -> forwarder -> Outlook -> origin is recorded line by line.",
       "accused_ips": ["86.125.127.208"], "accused_domains": ["adquiraseuplanobr.com.br"], "mailbox_accounts": [],
       "must_not_contain": ["jane.secret"]},
      OWN, "our own delivery lines replaced by a forwarder's line recording Outlook; wrapped as the returned message of that forwarder's DSN to our postmaster; our address rewritten jane.secret")

# --- Spam received directly ----------------------------------------------------------------
for name, src, ip, domains, accounts in [
    ("direct-shortener-freemail", "spam/phishing_pot/sample-292.eml", "86.125.127.208", ["cgzgxryiqkhc.com"], ["merciayanmact@hotmail.com"]),
    ("direct-two-freemail", "spam/phishing_pot/sample-2289.eml", "114.224.240.22", ["mjfashiongroup.com"], ["cuasperweahlgren92@gmail.com", "merciayanmact@hotmail.com"]),
]:
    spam = read(src)
    top = (
        "Return-Path: <billing@cgzgxryiqkhc.com>\n"
        "Delivered-To: jane.secret@victim-domain.net\n"
        f"Received: from unknown-host (unknown [{ip}])\n"
        "\tby mx1.victim-domain.net (Postfix) with ESMTP id 4Xy7DirectSpm\n"
        "\tfor <jane.secret@victim-domain.net>; Wed, 02 Oct 2024 07:31:12 +0200 (CEST)\n"
    )
    write(name, top + spam,
          {"rule": "Spam received directly is reported as such (not as bounced back), with its own Subject, From, Message-ID and our MX's Received time; shorteners and mailbox providers are not accused as the spammer's sites.",
           "accused_ips": [ip], "accused_domains": domains, "mailbox_accounts": accounts,
           "must_not_contain": ["jane.secret", "bounced it back", "subject: (none)", "message-id: (none)"]},
          src, "our MX's Received line (peer address from a documentation-free public range) and delivery headers added on top")

provenance = OUT / "PROVENANCE.tsv"
if not provenance.exists():
    provenance.write_text("# file\tbuilt from (corpus path, its own provenance in the corpus PROVENANCE.tsv)\tchange\n")
with open(provenance, "a") as f:
    for row in rows:
        f.write(row + "\n")
print(f"{len(rows)} messages written")
