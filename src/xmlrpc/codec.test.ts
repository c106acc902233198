import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { BootwrightError } from '../errors.js';
import {
  parseMethodCall,
  parseMethodResponse,
  serializeFault,
  serializeMethodCall,
  serializeMethodResponse,
  XmlRpcDouble,
  type XmlRpcValue,
} from './codec.js';

/** Runs a Python snippet with `input` on stdin; xmlrpc.client is the peer Cobbler and Koan actually use. */
function python(script: string, input = ''): Buffer {
  return execFileSync('python3', ['-c', script], {
    input,
    env: { ...process.env, PYTHONIOENCODING: 'utf-8' },
  });
}

function call(value: string): string {
  return `<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param><value>${value}</value></param></params></methodCall>`;
}

function parseOne(value: string): XmlRpcValue {
  return parseMethodCall(call(value)).params[0] ?? 'missing';
}

function assertInvalid(parse: () => unknown, ...mentions: string[]): void {
  assert.throws(parse, (error: unknown) => {
    assert.ok(error instanceof BootwrightError, `expected a BootwrightError, got ${String(error)}`);
    assert.equal(error.code, 'E_INVALID');
    for (const mention of mentions)
      assert.ok(error.message.includes(mention), `${error.message} / ${mention}`);
    return true;
  });
}

function assertUnsendable(serialize: () => unknown, message: string | RegExp): void {
  assert.throws(serialize, (error: unknown) => {
    assert.ok(error instanceof BootwrightError);
    assert.equal(error.code, 'E_INTERNAL');
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

const PYTHON_NESTED = `{
  'name': 'vm<&>1 ünïcödé ☃ 𝄞 "quoted" \\'single\\'',
  'ints': [0, -1, 2147483647, -2147483648],
  'floats': [1.5, -0.25, 1e+100, 5.0, 1e-07],
  'flags': [True, False],
  'blob': xmlrpc.client.Binary(bytes(range(256))),
  'when': datetime.datetime(2026, 11, 25, 18, 50, 0),
  'nested': {'empty_list': [], 'empty_dict': {}, 'spaces': '  two\\n lines  ', '': 'empty name'},
}`;

const JS_NESTED = {
  name: 'vm<&>1 ünïcödé ☃ 𝄞 "quoted" \'single\'',
  ints: [0, -1, 2147483647, -2147483648],
  floats: [1.5, -0.25, 1e100, 5, 1e-7],
  flags: [true, false],
  blob: Buffer.from(Array.from({ length: 256 }, (_, index) => index)),
  when: new Date('2026-11-25T18:50:00Z'),
  nested: { empty_list: [], empty_dict: {}, spaces: '  two\n lines  ', '': 'empty name' },
};

// Python prints what it decoded with every value tagged by its Python type, so int and float stay distinct.
const PYTHON_DESCRIBE = `
import base64, datetime, json, sys, xmlrpc.client
def tag(o):
    if isinstance(o, bool): return ['bool', o]
    if isinstance(o, int): return ['int', o]
    if isinstance(o, float): return ['float', o]
    if isinstance(o, str): return ['str', o]
    if isinstance(o, bytes): return ['bytes', base64.b64encode(o).decode()]
    if isinstance(o, datetime.datetime): return ['datetime', o.isoformat()]
    if isinstance(o, list): return ['list', [tag(v) for v in o]]
    if isinstance(o, dict): return ['dict', {k: tag(v) for k, v in o.items()}]
    raise TypeError(repr(o))
try:
    params, method = xmlrpc.client.loads(sys.stdin.buffer.read(), use_builtin_types=True)
    print(json.dumps({'method': method, 'params': [tag(p) for p in params]}))
except xmlrpc.client.Fault as fault:
    print(json.dumps({'faultCode': fault.faultCode, 'faultString': fault.faultString}))
`;

describe('interoperability with Python xmlrpc.client', () => {
  test('parses a nested method call that Python dumps', () => {
    const xml = python(`
import datetime, sys, xmlrpc.client
sys.stdout.buffer.write(xmlrpc.client.dumps((${PYTHON_NESTED}, 'second'), 'system.edit').encode('utf-8'))
`);
    assert.deepEqual(parseMethodCall(xml), { methodName: 'system.edit', params: [JS_NESTED, 'second'] });
  });

  test('parses a method response and a fault that Python dumps', () => {
    const response = python(`
import datetime, sys, xmlrpc.client
sys.stdout.buffer.write(xmlrpc.client.dumps((${PYTHON_NESTED},), methodresponse=True).encode('utf-8'))
`);
    assert.deepEqual(parseMethodResponse(response), { ok: true, value: JS_NESTED });

    const fault = python(`
import sys, xmlrpc.client
sys.stdout.buffer.write(xmlrpc.client.dumps(xmlrpc.client.Fault(4, 'msg <&> ☃')).encode('utf-8'))
`);
    assert.deepEqual(parseMethodResponse(fault), { ok: false, faultCode: 4, faultString: 'msg <&> ☃' });
  });

  test('Python loads what serializeMethodResponse writes, with ints and doubles kept apart', () => {
    const xml = serializeMethodResponse({
      ...JS_NESTED,
      numbers: [5, new XmlRpcDouble(5), 2 ** 31, -(2 ** 31) - 1, 0.1],
      carriage: 'a\r\nb\rc',
      skipped: undefined as unknown as XmlRpcValue,
    });
    const decoded = JSON.parse(python(PYTHON_DESCRIBE, xml).toString('utf-8'));
    assert.deepEqual(decoded, {
      method: null,
      params: [
        [
          'dict',
          {
            name: ['str', JS_NESTED.name],
            ints: ['list', JS_NESTED.ints.map((value) => ['int', value])],
            // A parsed 5.0 is the plain number 5, so it goes back as <int> unless wrapped in XmlRpcDouble.
            floats: [
              'list',
              [
                ['float', 1.5],
                ['float', -0.25],
                ['float', 1e100],
                ['int', 5],
                ['float', 1e-7],
              ],
            ],
            flags: [
              'list',
              [
                ['bool', true],
                ['bool', false],
              ],
            ],
            blob: ['bytes', JS_NESTED.blob.toString('base64')],
            when: ['datetime', '2026-11-25T18:50:00'],
            nested: [
              'dict',
              {
                empty_list: ['list', []],
                empty_dict: ['dict', {}],
                spaces: ['str', '  two\n lines  '],
                '': ['str', 'empty name'],
              },
            ],
            numbers: [
              'list',
              [
                ['int', 5],
                ['float', 5],
                ['float', 2 ** 31],
                ['float', -(2 ** 31) - 1],
                ['float', 0.1],
              ],
            ],
            carriage: ['str', 'a\r\nb\rc'],
          },
        ],
      ],
    });
  });

  test('Python loads what serializeMethodCall writes', () => {
    const xml = serializeMethodCall('get_profile', ['fedora<&>', 3, true]);
    assert.deepEqual(JSON.parse(python(PYTHON_DESCRIBE, xml).toString('utf-8')), {
      method: 'get_profile',
      params: [
        ['str', 'fedora<&>'],
        ['int', 3],
        ['bool', true],
      ],
    });
  });

  test('Python raises a Fault with the code and string that serializeFault writes', () => {
    const decoded = JSON.parse(python(PYTHON_DESCRIBE, serializeFault(4, 'msg <&> ☃')).toString('utf-8'));
    assert.deepEqual(decoded, { faultCode: 4, faultString: 'msg <&> ☃' });
  });
});

describe('parseMethodCall', () => {
  test('reads every type, ignoring whitespace between elements', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
      <methodCall>
        <methodName>system.edit</methodName>
        <params>
          <param><value><i4>-7</i4></value></param>
          <param><value><i8>9007199254740991</i8></value></param>
          <param>
            <value>
              <struct>
                <member><name>on</name><value><boolean>1</boolean></value></member>
                <member>
                  <name>off</name>
                  <value><boolean>0</boolean></value>
                </member>
                <member><name>nothing</name><value><nil/></value></member>
                <member><name>apache</name><value><ex:nil xmlns:ex="urn:x"/></value></member>
                <member><name>when</name><value><dateTime.iso8601>2026-11-25T18:50:00Z</dateTime.iso8601></value></member>
                <member><name>zoned</name><value><dateTime.iso8601>20261125T19:50:00+01:00</dateTime.iso8601></value></member>
                <member><name>list</name><value><array><data>
                  <value><double>-1.5e3</double></value>
                  <value>bare</value>
                </data></array></value></member>
              </struct>
            </value>
          </param>
        </params>
      </methodCall>`;
    assert.deepEqual(parseMethodCall(xml), {
      methodName: 'system.edit',
      params: [
        -7,
        Number.MAX_SAFE_INTEGER,
        {
          on: true,
          off: false,
          nothing: null,
          apache: null,
          when: new Date('2026-11-25T18:50:00Z'),
          zoned: new Date('2026-11-25T18:50:00Z'),
          list: [-1500, 'bare'],
        },
      ],
    });
  });

  test('keeps whitespace inside strings and untyped values exactly', () => {
    assert.equal(parseOne('<string>  a \n\t b  </string>'), '  a \n\t b  ');
    assert.equal(parseOne('  untyped \n '), '  untyped \n ');
    assert.equal(parseOne(''), '');
    assert.equal(parseOne('<string/>'), '');
    assert.equal(parseOne('<string>a<![CDATA[<&>]]>b</string>'), 'a<&>b');
  });

  test('decodes entities and numeric character references', () => {
    assert.equal(
      parseOne('<string>&lt;&gt;&amp;&quot;&apos;&#169;&#x263A;&#x1D11E;&#13;</string>'),
      '<>&"\'©☺𝄞\r',
    );
  });

  test('reads a call without params, and a Buffer with a byte order mark', () => {
    assert.deepEqual(parseMethodCall('<methodCall><methodName>ping</methodName></methodCall>'), {
      methodName: 'ping',
      params: [],
    });
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(call('<string>é</string>'))]);
    assert.deepEqual(parseMethodCall(bom).params, ['é']);
  });

  test('keeps a member named __proto__ as data without touching the prototype', () => {
    const struct = parseOne(
      '<struct><member><name>__proto__</name><value><struct><member><name>polluted</name><value>yes</value></member></struct></value></member></struct>',
    ) as Record<string, unknown>;
    assert.deepEqual(Object.keys(struct), ['__proto__']);
    assert.equal(Object.getPrototypeOf(struct), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('reads values nested 64 deep and refuses 65', () => {
    const nested = (depth: number) =>
      `${'<array><data><value>'.repeat(depth - 1)}1${'</value></data></array>'.repeat(depth - 1)}`;
    assert.doesNotThrow(() => parseOne(nested(64)));
    assertInvalid(() => parseOne(nested(65)), 'nested more than 64 deep');
    assertInvalid(() => parseOne(nested(100_000)), 'nested more than 64 deep');
  });

  test('rejects malformed requests with one sentence naming the problem', () => {
    assertInvalid(() => parseOne('<int>abc</int>'));
    assert.throws(() => parseOne('<int>abc</int>'), {
      message: 'Cannot parse XML-RPC request: <int> holds "abc", expected an integer',
    });
    assertInvalid(() => parseOne('<int>1.5</int>'), '<int>', '"1.5"', 'integer');
    assertInvalid(() => parseOne('<i4></i4>'), '<i4>', '""');
    assertInvalid(() => parseOne('<i8>9223372036854775807</i8>'), '<i8>', '"9223372036854775807"');
    assertInvalid(() => parseOne('<boolean>true</boolean>'), '<boolean>', '"true"', '0 or 1');
    assertInvalid(() => parseOne('<boolean>2</boolean>'), '<boolean>', '"2"');
    assertInvalid(() => parseOne('<double>1,5</double>'), '<double>', '"1,5"');
    assertInvalid(() => parseOne('<double>1e999</double>'), '<double>', '"1e999"', 'finite');
    assertInvalid(() => parseOne('<double>nan</double>'), '<double>', '"nan"');
    assertInvalid(() => parseOne('<dateTime.iso8601>yesterday</dateTime.iso8601>'), '"yesterday"');
    assertInvalid(
      () => parseOne('<dateTime.iso8601>20260230T10:00:00</dateTime.iso8601>'),
      '"20260230T10:00:00"',
    );
    assertInvalid(() => parseOne('<base64>not base64!</base64>'), '<base64>', '"notbase64!"');
    assertInvalid(() => parseOne('<float>1</float>'), '<float>', 'not an XML-RPC type');
    assertInvalid(() => parseOne('<int>1</int><int>2</int>'), '<value>', '<int>, <int>');
    assertInvalid(() => parseOne('junk<int>1</int>'), '<value>', '"junk"');
    assertInvalid(() => parseOne('<string><b>bold</b></string>'), '<string>', '<b>');
    assertInvalid(() => parseOne('<struct><member><name>a</name></member></struct>'), '<member>', '<value>');
    assertInvalid(() => parseOne('<struct>text<member/></struct>'), '<struct>', '"text"');
    assertInvalid(() => parseOne('<struct><value/></struct>'), '<struct>', '<member>', '<value>');
    assertInvalid(() => parseOne('<array><value>1</value></array>'), '<array>', '<data>');
    assertInvalid(() => parseOne('<nil>x</nil>'), '<nil>', '"x"');

    assertInvalid(
      () => parseMethodCall('<methodResponse/>'),
      'root element is <methodResponse>',
      '<methodCall>',
    );
    assertInvalid(() => parseMethodCall('<methodCall><params/></methodCall>'), '<methodName>', '<params>');
    assertInvalid(() => parseMethodCall('<methodCall></methodCall>'), '<methodName>', 'found nothing');
    assertInvalid(() => parseMethodCall('<methodCall><methodName>a b</methodName></methodCall>'), '"a b"');
    assertInvalid(() => parseMethodCall('<methodCall><methodName/></methodCall>'), '<methodName> holds ""');
    assertInvalid(
      () => parseMethodCall('<methodCall><methodName>x</methodName><params><value/></params></methodCall>'),
      '<params>',
      '<param>',
    );
  });

  test('rejects broken XML with its position', () => {
    const valid = call('<int>1</int>');
    assertInvalid(
      () => parseMethodCall(`${valid}trailing`),
      'malformed XML',
      'text data outside of root node',
    );
    assertInvalid(() => parseMethodCall(`${valid}<methodCall/>`), 'malformed XML', 'only one root');
    assertInvalid(() => parseMethodCall(valid.replace('</methodCall>', '')), 'unclosed tag: methodCall');
    assertInvalid(() => parseMethodCall('<methodCall><methodName>x</methodCall>'), 'malformed XML at line 1');
    assertInvalid(() => parseMethodCall(''), 'root element');
    assertInvalid(() => parseMethodCall('not xml'), 'malformed XML');
    assertInvalid(() => parseOne('<string>&bogus;</string>'), 'undefined entity');
    assertInvalid(() => parseOne('<string>&#1;</string>'), 'malformed XML');
  });

  test('refuses DOCTYPE, so entity expansion attacks never start', () => {
    const laughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]>
<methodCall><methodName>x</methodName><params><param><value>&lol9;</value></param></params></methodCall>`;
    assertInvalid(() => parseMethodCall(laughs), 'DOCTYPE');
    const xxe =
      '<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><methodCall><methodName>&x;</methodName></methodCall>';
    assertInvalid(() => parseMethodCall(xxe), 'DOCTYPE');
  });

  test('refuses bodies that are not UTF-8', () => {
    assertInvalid(() => parseMethodCall(Buffer.from(call('<string>\xe9</string>'), 'latin1')), 'UTF-8');
    assertInvalid(
      () =>
        parseMethodCall(`<?xml version="1.0" encoding="ISO-8859-1"?>${call('x').replace(/^<\?.*?\?>/, '')}`),
      '"ISO-8859-1"',
    );
  });

  test('only ever throws E_INVALID on truncated or damaged input', () => {
    const valid = serializeMethodCall('system.edit', [JS_NESTED]);
    for (let end = 0; end < valid.length; end++) assertInvalid(() => parseMethodCall(valid.slice(0, end)));
    for (let index = 0; index < valid.length; index++) {
      const damaged = valid.slice(0, index) + valid.slice(index + 1);
      try {
        parseMethodCall(damaged);
      } catch (error) {
        assert.ok(
          error instanceof BootwrightError && error.code === 'E_INVALID',
          `${damaged}: ${String(error)}`,
        );
      }
    }
  });
});

describe('parseMethodResponse', () => {
  test('reads a value and a fault', () => {
    assert.deepEqual(parseMethodResponse(serializeMethodResponse([1, 'two'])), {
      ok: true,
      value: [1, 'two'],
    });
    assert.deepEqual(parseMethodResponse(serializeFault(2, 'System "vm9" not found')), {
      ok: false,
      faultCode: 2,
      faultString: 'System "vm9" not found',
    });
  });

  test('rejects malformed responses', () => {
    assertInvalid(() => parseMethodResponse(call('1')), 'XML-RPC response', '<methodCall>');
    assertInvalid(() => parseMethodResponse('<methodResponse/>'), '<params>', 'found nothing');
    assertInvalid(
      () => parseMethodResponse('<methodResponse><params/></methodResponse>'),
      'exactly one <param>',
    );
    assertInvalid(
      () =>
        parseMethodResponse(
          '<methodResponse><fault><value><string>oops</string></value></fault></methodResponse>',
        ),
      'faultCode',
    );
    assertInvalid(
      () => parseMethodResponse('<methodResponse><fault><value/></fault><params/></methodResponse>'),
      '<fault>, <params>',
    );
  });
});

describe('serializing', () => {
  test('writes compact XML with the Python header', () => {
    assert.equal(
      serializeMethodCall('get_distro', ['f40', 7]),
      "<?xml version='1.0'?><methodCall><methodName>get_distro</methodName><params><param><value><string>f40</string></value></param><param><value><int>7</int></value></param></params></methodCall>",
    );
    assert.equal(
      serializeFault(1, 'bad'),
      "<?xml version='1.0'?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member><member><name>faultString</name><value><string>bad</string></value></member></struct></value></fault></methodResponse>",
    );
  });

  test('chooses <int> or <double> the way Python does', () => {
    const body = (value: XmlRpcValue) =>
      serializeMethodResponse(value).replace(/^.*<param><value>|<\/value><\/param>.*$/g, '');
    assert.equal(body(5), '<int>5</int>');
    assert.equal(body(-(2 ** 31)), '<int>-2147483648</int>');
    assert.equal(body(2 ** 31), '<double>2147483648</double>');
    assert.equal(body(1.5), '<double>1.5</double>');
    assert.equal(body(new XmlRpcDouble(5)), '<double>5</double>');
    assert.equal(body(true), '<boolean>1</boolean>');
    assert.equal(
      body(new Date('2026-01-02T03:04:05.678Z')),
      '<dateTime.iso8601>20260102T03:04:05</dateTime.iso8601>',
    );
    assert.equal(body(Buffer.from('hi')), '<base64>aGk=</base64>');
    assert.equal(
      body({ 'a<b>&c': 'x<y>&z', skipped: undefined as unknown as XmlRpcValue }),
      '<struct><member><name>a&lt;b&gt;&amp;c</name><value><string>x&lt;y&gt;&amp;z</string></value></member></struct>',
    );
  });

  test('round-trips through its own parser', () => {
    const value = { ...JS_NESTED, control: 'tab\tcr\r\nend', big: 2 ** 40, fraction: new XmlRpcDouble(2) };
    assert.deepEqual(parseMethodResponse(serializeMethodResponse(value)), {
      ok: true,
      value: { ...value, fraction: 2 },
    });
  });

  test('refuses null and other values XML-RPC cannot carry, naming where they are', () => {
    assertUnsendable(
      () => serializeMethodCall('system.edit', [{ kernel_options: null }]),
      'Cannot send null over XML-RPC at params[0].kernel_options',
    );
    assertUnsendable(
      () => serializeMethodResponse({ 'ks meta': [1, null] }),
      'Cannot send null over XML-RPC at response["ks meta"][1]',
    );
    assertUnsendable(
      // A hole in a sparse array.
      () => serializeMethodResponse(new Array<XmlRpcValue>(3).fill(1, 0, 1)),
      'Cannot send undefined over XML-RPC at response[1]',
    );
    assertUnsendable(
      () => serializeMethodResponse({ size: Number.NaN }),
      'Cannot send NaN over XML-RPC at response.size',
    );
    assertUnsendable(
      () => serializeMethodResponse(new XmlRpcDouble(Infinity)),
      /Infinity over XML-RPC at response$/,
    );
    assertUnsendable(() => serializeMethodResponse(new Date(Number.NaN)), /an invalid Date .*at response/);
    assertUnsendable(() => serializeMethodResponse('bell\u0007'), /U\+0007 over XML-RPC at response/);
    assertUnsendable(() => serializeMethodResponse('\ud800'), /U\+D800/);
    assertUnsendable(
      () => serializeMethodResponse(new Map() as unknown as XmlRpcValue),
      /a Map over XML-RPC/,
    );
    assertUnsendable(() => serializeMethodResponse(10n as unknown as XmlRpcValue), /a bigint over XML-RPC/);
    const cycle: XmlRpcValue[] = [];
    cycle.push(cycle);
    assertUnsendable(() => serializeMethodResponse(cycle), /nested more than 64 deep/);
    assertUnsendable(() => serializeMethodCall('bad name', []), /"bad name"/);
    assertUnsendable(() => serializeFault(1.5, 'x'), /1\.5/);
  });
});
