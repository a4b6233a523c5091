// Secret masking of encoded forms (GitHub's runner ValueEncoders): unit cases
// on the Masker, then a real step printing a secret's encodings.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Masker, MIN_ENCODED_LENGTH } from "../../../src/runners/github-actions/masker.js";
import { makeHarness, makeJob, runJob } from "./helpers.js";

const SECRET = 'p@ss"w0rd&x';
const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

function masker(...values: string[]): Masker {
  const m = new Masker();
  for (const value of values) m.add(value);
  return m;
}

describe("masker: the start of an unfinished line masked alone (safeCut, upmask29)", () => {
  it("holds back what a value may still continue, and a value lying across the cut", () => {
    const m = masker("s3cr3t-value");
    const longest = Math.max(...["s3cr3t-value", b64("s3cr3t-value")].map((form) => form.length));
    assert.equal(m.safeCut("x".repeat(100)), 100 - (longest - 1));
    // The value starts before the plain cut and ends after it: the cut moves to its start.
    const text = `${"x".repeat(80)}s3cr3t-value${"y".repeat(8)}`;
    const cut = m.safeCut(text);
    assert.ok(cut <= 80, `cut at ${cut}`);
    assert.doesNotMatch(m.mask(text.slice(0, cut)), /s3c/);
  });

  it("cuts anywhere with no mask, never between a surrogate pair, and at 0 when every place is inside a value", () => {
    assert.equal(new Masker().safeCut("abc"), 3);
    assert.equal(masker("aaaaaa").safeCut("a".repeat(50)), 0);
    // Its longest form (base64, 8 characters) holds back 7: the plain cut falls between the emoji's two halves.
    const pair = masker("zzzzzz");
    const text = `${"x".repeat(10)}😀${"x".repeat(6)}`;
    assert.equal(pair.safeCut(text), 10, "before the emoji, not inside it");
  });

  it("takes `***`, the mask itself, for no value: a masked log's `::add-mask::***` hides nothing", () => {
    const m = masker("***", "%2A%2A%2A");
    assert.equal(m.size, 1);
    assert.equal(m.mask("a *** b"), "a *** b");
  });
});

describe("masker: overlapping values (mask30)", () => {
  it("hides every character of each value however they overlap, what touches or overlaps as one `***`, as GitHub's masker", () => {
    // Replaced one after another, the longer value went first and left the other's last character: `***hij`.
    assert.equal(masker("cdefgh", "abcdefg").mask("abcdefghij"), "***ij");
    assert.equal(masker("abcdefg", "cdefgh").mask("x abcdefghij y cdefgh z"), "x ***ij y *** z");
    // A value's own overlapping places: `aa` in `aaaaa` left an `a` between two masks.
    assert.equal(masker("aa").mask("aaaaa b aa"), "*** b ***");
    assert.equal(masker("first-secret", "second-secret").mask("first-secretsecond-secret first-secret."), "*** ***.");
    assert.equal(masker("first-secret").mask("no value here"), "no value here");
  });
});

describe("masker: encoded forms of a secret", () => {
  const m = masker(SECRET);

  it("masks the JSON-string, URI-component, XML and quote-trimmed forms", () => {
    assert.equal(m.mask(`json ${JSON.stringify(SECRET)}`), 'json "***"');
    assert.equal(m.mask(`{"password":${JSON.stringify(SECRET)}}`), '{"password":"***"}');
    assert.equal(m.mask(`https://host/?pw=${encodeURIComponent(SECRET)}&x=1`), "https://host/?pw=***&x=1");
    assert.equal(m.mask("<pw>p@ss&quot;w0rd&amp;x</pw>"), "<pw>***</pw>");
    assert.equal(masker("it's(a)secret!").mask("q=it%27s%28a%29secret%21"), "q=***", "RFC 3986 strict escaping (Uri.EscapeDataString)");
    assert.equal(masker('"quoted-secret"').mask("value: quoted-secret"), "value: ***");
  });

  it("masks base64 on its own (with padding, and in the URL-safe alphabet)", () => {
    assert.equal(m.mask(`b64 ${b64(SECRET)}`), "b64 ***");
    const sneaky = "a?>b~c?>d~";
    assert.equal(masker(sneaky).mask(Buffer.from(sneaky).toString("base64url")), "***");
  });

  it("masks base64 of the secret at every byte alignment inside a larger payload", () => {
    for (const prefix of ["", "u", "us", "use", "user:", "Authorization: user:"]) {
      for (const suffix of ["", "!", "!?", "&more=1"]) {
        const payload = b64(`${prefix}${SECRET}${suffix}`);
        const masked = m.mask(payload);
        assert.equal(masked.split("***").length, 2, `${prefix}|${suffix}: ${masked}`);
        // At most the two digits the secret shares with its neighbours stay on each side.
        const hidden = payload.length - (masked.length - 3);
        assert.ok(hidden >= Math.floor((8 * Buffer.byteLength(SECRET)) / 6) - 1, `${prefix}|${suffix}: only ${hidden} digits hidden in ${masked}`);
        const [before, after] = masked.split("***");
        assert.ok(payload.startsWith(before) && payload.endsWith(after), "the rest is left as it was");
      }
    }
  });

  it("masks each line's forms of a multi-line secret, and the whole value's JSON form", () => {
    const multi = masker("first-line-secret\nsecond-line-secret");
    assert.equal(multi.mask(JSON.stringify({ key: "first-line-secret\nsecond-line-secret" })), '{"key":"***"}');
    assert.equal(multi.mask(b64("second-line-secret")), "***");
  });

  it(`skips encoded forms shorter than ${MIN_ENCODED_LENGTH} characters, never the secret itself`, () => {
    const short = masker("abc");
    assert.equal(b64("abc"), "YWJj");
    assert.equal(short.mask("abc YWJj"), "*** YWJj", "a 4-digit base64 form would hide ordinary text");
    assert.equal(masker("p@ss").mask("p@ss p%40ss cEBzcw=="), "*** *** ***");
  });
});

describe("masker: a step printing a secret's encodings", () => {
  it("shows none of them", async () => {
    const h = await makeHarness({ hostEnv: { ORUN_SECRET_PW: SECRET } });
    try {
      const print = [
        "const s = process.env.PW;",
        "console.log(JSON.stringify(s));",
        "console.log(encodeURIComponent(s));",
        "console.log(Buffer.from(s).toString('base64'));",
        "console.log(Buffer.from('admin:' + s).toString('base64'));",
      ].join(" ");
      const r = await runJob(h, makeJob("web@dev.encodings", [
        { id: "print", run: `node -e "${print}"`, env: { PW: "${{ secrets.PW }}" } },
        { id: "add-mask", run: 'echo "::add-mask::hunter2-token"; printf %s hunter2-token | base64' },
      ]));
      assert.equal(r.steps[0].error, undefined, r.steps[0].output);
      const lines = r.steps[0].output.split("\n");
      assert.deepEqual(lines.slice(0, 3), ['"***"', "***", "***"]);
      assert.match(lines[3], /^YWRtaW46\*\*\*[A-Za-z0-9+/=]{0,4}$/, "admin: stays, the secret's digits are masked");
      assert.equal(r.steps[1].output, "***", "values registered with add-mask get the same treatment");
      for (const form of [SECRET, JSON.stringify(SECRET).slice(1, -1), encodeURIComponent(SECRET), b64(SECRET), b64("hunter2-token")]) {
        assert.ok(!r.live.includes(form), `live output shows ${form}`);
      }
    } finally {
      await h.dispose();
    }
  });
});
