//! `blowback evidence` and `blowback verify` as processes: the bag validates with the
//! independent `bagit` package, any changed, removed or added file is named, a wrong key
//! fails, a timestamp response is checked, input text cannot break out of the HTML, and
//! the same inputs and cache give the same pack except the custody times.

mod evidence_util;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::process::Command;

use evidence_util::{Env, copy_dir, corpus, files, have, repo, text};

fn three() -> Vec<String> {
    ["bs-0002.eml", "bs-0010.eml", "bs-0042.eml"]
        .map(corpus)
        .to_vec()
}

#[test]
fn pack_validates_with_the_bagit_package_and_verify() {
    let env = Env::new();
    let out = env.pack(
        &three(),
        "pack",
        &["--offline", "--zip", "--case", "Victim v. Spammer"],
    );
    assert!(
        text(&out).contains("generated a signing key"),
        "{}",
        text(&out)
    );
    let pack = env.path("pack");
    for name in [
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "tagmanifest-sha256.txt",
        "tagmanifest-sha256.txt.sig",
        "tagmanifest-sha256.txt.tsq",
        "blowback-signing-key.pub",
        "data/findings.json",
        "data/custody.jsonl",
        "data/report.html",
        "data/memo.html",
    ] {
        assert!(pack.join(name).is_file(), "{name} missing");
    }
    let info = std::fs::read_to_string(pack.join("bag-info.txt")).unwrap();
    assert!(
        info.contains("External-Identifier: Victim v. Spammer"),
        "{info}"
    );
    assert!(info.contains("Contact-Name: Jane Collector"), "{info}");
    assert!(info.contains("Payload-Oxum: "), "{info}");
    // Originals are byte-exact and named by their SHA-256; carved copies have a range.
    for input in three() {
        let bytes = std::fs::read(&input).unwrap();
        let id = blowback::hash::sha256_hex(&bytes);
        assert_eq!(
            std::fs::read(pack.join(format!("data/originals/{id}.eml"))).unwrap(),
            bytes
        );
    }
    let sidecars: Vec<String> = files(&pack)
        .into_iter()
        .filter(|f| f.starts_with("data/extracted/") && f.ends_with(".json"))
        .collect();
    assert!(!sidecars.is_empty());
    for sidecar in sidecars {
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(pack.join(&sidecar)).unwrap()).unwrap();
        let parent = std::fs::read(pack.join(meta["parent"].as_str().unwrap())).unwrap();
        let carved = std::fs::read(pack.join(meta["path"].as_str().unwrap())).unwrap();
        if let Some(range) = meta["range"].as_array() {
            let (start, end) = (
                range[0].as_u64().unwrap() as usize,
                range[1].as_u64().unwrap() as usize,
            );
            assert_eq!(&parent[start..end], &carved[..], "{sidecar}");
        }
    }
    let verify = env.run(&["verify", "pack"]);
    assert!(verify.status.success(), "{}", text(&verify));
    let verify_zip = env.run(&["verify", "pack.zip"]);
    assert!(verify_zip.status.success(), "{}", text(&verify_zip));

    if !have(
        "python3",
        &["-c", "import bagit"],
        "the `bagit` Python package",
    ) {
        return;
    }
    let bagit = Command::new("python3")
        .args(["-m", "bagit", "--validate"])
        .arg(&pack)
        .output()
        .unwrap();
    assert!(bagit.status.success(), "bagit: {}", text(&bagit));
    assert!(text(&bagit).contains("is valid"), "{}", text(&bagit));
}

/// Flips one byte, removes each file, adds files: `verify` fails and names the file.
#[test]
fn every_changed_removed_or_added_file_is_named() {
    let env = Env::new();
    env.pack(&[corpus("bs-0002.eml")], "pack", &["--offline"]);
    let pack = env.path("pack");
    let names = files(&pack);
    assert!(names.len() >= 12, "{names:?}");
    let mut checked = 0;
    for name in &names {
        let original = std::fs::read(pack.join(name)).unwrap();
        let positions = [0, original.len() / 2, original.len() - 1];
        for at in positions {
            let copy = env.path(&format!("t{checked}"));
            copy_dir(&pack, &copy);
            let mut bytes = original.clone();
            bytes[at] ^= 0x01;
            std::fs::write(copy.join(name), bytes).unwrap();
            expect_named(&env, &copy, name, &format!("byte {at} changed"));
            std::fs::remove_dir_all(&copy).unwrap();
            checked += 1;
        }
        let copy = env.path("removed");
        copy_dir(&pack, &copy);
        std::fs::remove_file(copy.join(name)).unwrap();
        expect_named(&env, &copy, name, "removed");
        std::fs::remove_dir_all(&copy).unwrap();
    }
    for extra in [
        "notes.txt",
        "data/extra.eml",
        "data/originals/00.eml",
        "more/x",
    ] {
        let copy = env.path("added");
        copy_dir(&pack, &copy);
        std::fs::create_dir_all(copy.join(extra).parent().unwrap()).unwrap();
        std::fs::write(copy.join(extra), b"x").unwrap();
        expect_named(&env, &copy, extra, "added");
        std::fs::remove_dir_all(&copy).unwrap();
    }
    assert_eq!(checked, names.len() * 3);
}

fn expect_named(env: &Env, pack: &Path, name: &str, what: &str) {
    let out = env.run(&["verify", &pack.display().to_string()]);
    let said = text(&out);
    assert!(
        !out.status.success(),
        "{name} {what}: verify passed\n{said}"
    );
    assert!(
        said.lines()
            .any(|l| l.starts_with("PROBLEM") && l.contains(name)),
        "{name} {what}: not named\n{said}"
    );
}

#[test]
fn a_wrong_key_fails_the_signature_check() {
    let env = Env::new();
    env.pack(&[corpus("bs-0010.eml")], "pack", &["--offline"]);
    let pack = env.path("pack");
    let own = pack.join("blowback-signing-key.pub");
    let ok = env.run(&["verify", "pack", "--key", &own.display().to_string()]);
    assert!(ok.status.success(), "{}", text(&ok));

    // Checked against a key the checker holds: another key fails.
    let other = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    let other_pub = env.path("other.pub");
    std::fs::write(
        &other_pub,
        blowback::evidence::sign::public_key_text(&other.verifying_key()),
    )
    .unwrap();
    let out = env.run(&["verify", "pack", "--key", &other_pub.display().to_string()]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("not with the expected key"),
        "{}",
        text(&out)
    );

    // Re-signed with another key: the signature no longer matches the bag's key.
    let tagmanifest = std::fs::read(pack.join("tagmanifest-sha256.txt")).unwrap();
    std::fs::write(
        pack.join("tagmanifest-sha256.txt.sig"),
        blowback::evidence::sign::signature_text(&other, &tagmanifest),
    )
    .unwrap();
    let out = env.run(&["verify", "pack"]);
    assert!(!out.status.success());
    assert!(
        text(&out)
            .contains("PROBLEM  tagmanifest-sha256.txt.sig: signature over tagmanifest-sha256.txt"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_timestamp_response_is_checked_against_the_request_and_added() {
    use sha2::Digest;
    let env = Env::new();
    env.pack(&[corpus("bs-0042.eml")], "pack", &["--offline"]);
    let pack = env.path("pack");
    let digest: [u8; 32] =
        sha2::Sha256::digest(std::fs::read(pack.join("tagmanifest-sha256.txt")).unwrap()).into();
    let tsq = std::fs::read(pack.join("tagmanifest-sha256.txt.tsq")).unwrap();
    assert_eq!(
        blowback::evidence::timestamp::request_digest(&tsq),
        Some(digest)
    );

    let wrong = blowback::evidence::timestamp::fake_response(&[0; 32], 0, "20261127120000Z");
    std::fs::write(env.path("wrong.tsr"), wrong).unwrap();
    let out = env.run(&["verify", "pack", "--add-tsr", "wrong.tsr"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!pack.join("tagmanifest-sha256.txt.tsr").exists());

    let right = blowback::evidence::timestamp::fake_response(&digest, 0, "20261127120000Z");
    std::fs::write(env.path("right.tsr"), &right).unwrap();
    let out = env.run(&["verify", "pack", "--add-tsr", "right.tsr"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("timestamp    20261127120000Z"),
        "{}",
        text(&out)
    );
    let again = env.run(&["verify", "pack"]);
    assert!(again.status.success(), "{}", text(&again));
}

#[test]
fn input_text_cannot_break_out_of_the_html() {
    let env = Env::new();
    let hostile = env.path("a<script>alert(1)<x>.eml");
    std::fs::write(
        &hostile,
        "From: \"<img src=x onerror=alert(2)>\" <x@evil.example>\r\nTo: victim@example.org\r\nSubject: <script>alert(3)</script>\r\nDate: Mon, 2 Jun 2025 10:00:00 +0000\r\nMessage-ID: <1@evil.example>\r\n\r\nBuy at http://evil.example/<script>alert(4)</script> now\r\n",
    )
    .unwrap();
    env.pack(&[hostile.display().to_string()], "pack", &["--offline"]);
    for page in ["data/report.html", "data/memo.html"] {
        let html = std::fs::read_to_string(env.path("pack").join(page)).unwrap();
        assert!(!html.contains("<script"), "{page} carries a script");
        assert!(!html.contains("<img"), "{page} carries an img");
    }
    let report = std::fs::read_to_string(env.path("pack/data/report.html")).unwrap();
    assert!(
        report.contains("&lt;script&gt;"),
        "the hostile name is shown, escaped"
    );
    // File names in the pack come from hashes only.
    assert!(
        files(&env.path("pack"))
            .iter()
            .all(|f| !f.contains("script"))
    );
}

#[test]
fn an_existing_folder_with_files_is_never_overwritten() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("busy")).unwrap();
    std::fs::write(env.path("busy/keep.txt"), b"mine").unwrap();
    let out = env.run(&[
        "evidence",
        &corpus("bs-0002.eml"),
        "--offline",
        "--out",
        "busy",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(files(&env.path("busy")), vec!["keep.txt"]);
}

// ------------------------------------------------- same inputs + cache → same pack

/// A WHOIS server on loopback that answers every query with one RIPE-style object.
fn whois_fake() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            let answer = format!(
                "% query {}\ninetnum:        0.0.0.0 - 255.255.255.255\nnetname:        TEST-NET\ncountry:        NL\nabuse-c:        AB1-TEST\n% Abuse contact for '0.0.0.0 - 255.255.255.255' is 'abuse@test-net.example'\n",
                line.trim()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    addr
}

/// A DNS server on loopback that answers NXDOMAIN to everything.
fn dns_fake() -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, peer)) = socket.recv_from(&mut buf) {
            let mut reply = buf[..n].to_vec();
            if reply.len() >= 4 {
                reply[2] |= 0x80;
                reply[3] = (reply[3] & 0xf0) | 3;
                let _ = socket.send_to(&reply, peer);
            }
        }
    });
    addr
}

#[test]
fn same_inputs_and_cache_give_the_same_pack_except_custody_times() {
    let env = Env::new();
    let whois = whois_fake();
    let dns = dns_fake();
    let servers =
        serde_json::json!({"_": {"ip": {"host": whois, "query": "$addr\r\n"}}, "": whois});
    std::fs::write(env.path("servers.json"), servers.to_string()).unwrap();
    std::fs::create_dir_all(env.path("no-bootstrap")).unwrap();
    let online = [
        "--resolve",
        "--whois-servers",
        "servers.json",
        "--rdap-bootstrap",
        "no-bootstrap",
        "--dns-server",
        &dns,
    ];
    env.pack(&three(), "online", &online);
    let offline = [&online[..], &["--offline"]].concat();
    env.pack(&three(), "out", &offline);
    std::fs::rename(env.path("out"), env.path("first")).unwrap();
    std::fs::remove_file(env.path("cache.sqlite-journal")).ok();
    env.pack(&three(), "out", &offline);

    let (first, second) = (env.path("first"), env.path("out"));
    assert_eq!(files(&first), files(&second));
    let lookups: Vec<String> = files(&first)
        .into_iter()
        .filter(|f| f.starts_with("data/lookups/"))
        .collect();
    assert!(lookups.len() >= 2, "raw answers saved: {lookups:?}");
    let sidecar = lookups.iter().find(|f| f.ends_with(".json")).unwrap();
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(first.join(sidecar)).unwrap()).unwrap();
    for key in [
        "server",
        "query",
        "time",
        "time_utc",
        "bytes_sha256",
        "path",
    ] {
        assert!(!meta[key].is_null(), "{sidecar} lacks {key}: {meta}");
    }
    // Each saved answer carries, in the custody log, the time its server gave it.
    let custody = std::fs::read_to_string(first.join("data/custody.jsonl")).unwrap();
    let lookup_step: serde_json::Value = custody
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|s| s["step"] == "lookup")
        .expect("a lookup step");
    let outputs = lookup_step["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), lookups.len());
    for item in outputs {
        let sidecar = item["name"]
            .as_str()
            .unwrap()
            .replace(".answer.json", ".json");
        let sidecar = if sidecar.ends_with(".json") {
            sidecar
        } else {
            format!("{}.json", sidecar.rsplit_once('.').unwrap().0)
        };
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(first.join(&sidecar)).unwrap()).unwrap();
        assert_eq!(item["time"], meta["time_utc"], "{item}");
    }
    let signed = [
        "data/custody.jsonl",
        "manifest-sha256.txt",
        "tagmanifest-sha256.txt",
        "tagmanifest-sha256.txt.sig",
        "tagmanifest-sha256.txt.tsq",
        "bag-info.txt",
    ];
    for name in files(&first) {
        let (a, b) = (
            std::fs::read(first.join(&name)).unwrap(),
            std::fs::read(second.join(&name)).unwrap(),
        );
        if name == "data/custody.jsonl" {
            assert_eq!(
                without_times(&a),
                without_times(&b),
                "custody differs beyond times"
            );
        } else if name == "bag-info.txt" {
            assert_eq!(undated(&a), undated(&b), "{name}");
        } else if name.ends_with(".html") {
            assert_eq!(
                unmade(&a),
                unmade(&b),
                "{name} differs beyond its making time"
            );
        } else if !signed.contains(&name.as_str()) {
            assert_eq!(a, b, "{name} differs between two runs");
        }
    }
    // The online run saw the same answers the offline runs read from the cache.
    for name in lookups {
        assert_eq!(
            std::fs::read(env.path("online").join(&name)).unwrap(),
            std::fs::read(first.join(&name)).unwrap(),
            "{name}"
        );
    }
    let _ = repo();
}

/// bag-info.txt without its `Bagging-Date`.
fn undated(info: &[u8]) -> String {
    String::from_utf8_lossy(info)
        .lines()
        .filter(|l| !l.starts_with("Bagging-Date:"))
        .collect()
}

/// A page with its making time (from `<time class="made" datetime="…">`) blanked.
fn unmade(page: &[u8]) -> String {
    let page = String::from_utf8_lossy(page);
    let made = page
        .split_once("<time class=\"made\" datetime=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(made, _)| made.to_string())
        .expect("the page states when it was made");
    page.replace(&made, "MADE")
}

fn without_times(log: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(log)
        .lines()
        .map(|line| {
            let mut entry: serde_json::Value = serde_json::from_str(line).unwrap();
            entry["time"] = serde_json::Value::Null;
            entry["started"] = serde_json::Value::Null;
            // The pages state their making time, so their hashes differ too.
            for item in entry["outputs"].as_array_mut().unwrap() {
                if item["name"].as_str().unwrap().ends_with(".html") {
                    item["sha256"] = serde_json::Value::Null;
                }
            }
            entry["prev"] = serde_json::Value::Null;
            entry
        })
        .collect()
}

#[test]
fn a_pack_inside_an_input_folder_is_refused() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("mail")).unwrap();
    std::fs::copy(corpus("bs-0002.eml"), env.path("mail/1.eml")).unwrap();
    let out = env.run(&["evidence", "mail", "--offline", "--out", "mail/pack"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("inside the input folder"),
        "{}",
        text(&out)
    );
    assert_eq!(files(&env.path("mail")), vec!["1.eml"]);
}

/// A real exchange with an OpenSSL TSA (tests/fixtures/evidence/tsa/README.md).
#[test]
fn requests_match_openssl_and_a_real_response_is_checked() {
    use blowback::evidence::timestamp;
    use sha2::Digest;
    let dir = repo().join("tests/fixtures/evidence/tsa");
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let digest: [u8; 32] = sha2::Sha256::digest(read("tm.txt")).into();
    assert_eq!(
        timestamp::request(&digest),
        read("req.tsq"),
        "same DER as openssl ts -query"
    );
    let stamp = timestamp::check_response(&read("resp.tsr"), &digest).unwrap();
    assert!(stamp.gen_time.starts_with("2026"), "{stamp:?}");
    let other: [u8; 32] = sha2::Sha256::digest(b"another manifest").into();
    assert!(timestamp::check_response(&read("resp.tsr"), &other).is_err());
}

#[test]
fn a_damaged_zip_entry_is_named() {
    let env = Env::new();
    env.pack(&[corpus("bs-0002.eml")], "pack", &["--offline", "--zip"]);
    let mut zip = std::fs::read(env.path("pack.zip")).unwrap();
    let name = b"pack/data/findings.json";
    let at = zip.windows(name.len()).position(|w| w == name).unwrap() + name.len() + 40;
    zip[at] ^= 0x01;
    std::fs::write(env.path("damaged.zip"), zip).unwrap();
    let out = env.run(&["verify", "damaged.zip"]);
    assert!(!out.status.success());
    assert!(
        text(&out)
            .lines()
            .any(|l| l.starts_with("PROBLEM") && l.contains("data/findings.json")),
        "{}",
        text(&out)
    );
}

/// Each exhibit's reasoning quotes the Received lines it rests on, verbatim, at byte
/// offsets anyone can check in the exhibit file; the report shows the same text.
#[test]
fn reasoning_quotes_its_received_lines_at_their_byte_offsets() {
    let env = Env::new();
    env.pack(
        &[corpus("bs-0002.eml"), corpus("bs-0003.eml")],
        "pack",
        &["--offline"],
    );
    let pack = env.path("pack");
    let findings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pack.join("data/findings.json")).unwrap()).unwrap();
    let report = std::fs::read_to_string(pack.join("data/report.html")).unwrap();
    let mut origins = Vec::new();
    for message in findings["messages"].as_array().unwrap() {
        let quotes = message["received"].as_array().unwrap();
        assert!(
            !quotes.is_empty(),
            "exhibit {} quotes nothing",
            message["number"]
        );
        for q in quotes {
            let file = std::fs::read(pack.join(q["file"].as_str().unwrap())).unwrap();
            let (start, end) = (
                q["start"].as_u64().unwrap() as usize,
                q["end"].as_u64().unwrap() as usize,
            );
            let text = q["text"].as_str().unwrap();
            assert_eq!(&file[start..end], text.as_bytes(), "{q}");
            assert!(text.to_ascii_lowercase().starts_with("received"), "{q}");
            assert!(
                report.contains(&format!("bytes {start}–{end}</div>")),
                "{q}"
            );
            if q["chain"] == "returned original" && q["role"] == "origin" {
                origins.push(text.to_string());
            }
        }
    }
    // Golden: the hops that give the origins of bs-0002 and bs-0003 (corpus labels).
    assert_eq!(origins.len(), 2, "{origins:?}");
    assert!(
        origins[0].starts_with(
            "Received: from victim-domain.net [172.105.188.10] by relay.lakesidehvac.com with ESMTP"
        ),
        "{}",
        origins[0]
    );
    assert!(
        origins[1].starts_with(
            "Received: from [159.89.103.223] (unknown [159.89.103.223]) by relay.mimecast.com"
        ),
        "{}",
        origins[1]
    );
}

/// The findings name every data file and template the run used, with SHA-256 and version.
#[test]
fn findings_record_the_data_files_and_templates_used() {
    let env = Env::new();
    env.pack(&[corpus("bs-0002.eml")], "pack", &["--offline"]);
    let findings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path("pack/data/findings.json")).unwrap())
            .unwrap();
    let data = repo().join("data");
    let used = findings["data_files"].as_array().unwrap();
    for name in ["country.mmdb", "asn.mmdb", "jurisdictions.json"] {
        let file = used
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} not recorded: {used:?}"));
        let bytes = std::fs::read(data.join(name)).unwrap();
        assert_eq!(file["sha256"], blowback::hash::sha256_hex(&bytes).as_str());
        assert_eq!(file["bytes"], bytes.len());
        assert!(
            file["version"]
                .as_str()
                .unwrap()
                .ends_with("(data/MANIFEST)"),
            "{file}"
        );
    }
    let templates: Vec<&str> = findings["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        templates,
        [
            "templates/evidence/report.hbs",
            "templates/evidence/memo.hbs",
            "templates/evidence/style.hbs"
        ]
    );
    for t in findings["templates"].as_array().unwrap() {
        let bytes = std::fs::read(repo().join(t["path"].as_str().unwrap())).unwrap();
        assert_eq!(t["sha256"], blowback::hash::sha256_hex(&bytes).as_str());
    }
}
