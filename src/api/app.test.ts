import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOperatorRequest } from './app.js';

describe('isOperatorRequest', () => {
  it("takes the API's own calls as an operator's, and what installers and koan fetch as theirs", () => {
    for (const url of [
      '/api/v1/version',
      '/api/v1/systems?limit=10',
      '/api/v1/systems/vm9',
      '/api/v1/systems/vm9/rendered',
      '/api/v1/events?system=vm9',
      '/cobbler_api',
      '/cobbler_api?secret=00',
    ]) {
      assert.equal(isOperatorRequest(url), true, url);
    }
    for (const url of [
      '/cblr/svc/op/autoinstall/system/vm9',
      '/api/v1/systems/vm9/autoinstall',
      '/api/v1/profiles/web/autoinstall?secret=00',
      '/api/v1/systems/vm9/nopxe',
      '/api/v1/systems/vm9/install/post',
      '/api/v1/systems/vm9/logs/anaconda.log',
      '/api/v1/systems/vm9/koan',
      '/api/v1/systems/vm9/boot/ipxe',
      '/cobbler/images/d/vmlinuz',
      '/distros/d/images/pxeboot/initrd.img',
      '/cobbler_api_extra',
    ]) {
      assert.equal(isOperatorRequest(url), false, url);
    }
  });
});
