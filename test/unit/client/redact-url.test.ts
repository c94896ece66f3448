import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../../src/client/redact-url.js';

describe('redactUrl', () => {
  it('masks the password, also one holding / + = (base64) or @', () => {
    expect(redactUrl('redis://:s3cret@host:6379/0')).toBe('redis://:***@host:6379/0');
    expect(redactUrl('got "redis://:abc/def+g==@host:6379" [INVALID_OPTION]')).toBe('got "redis://:***@host:6379" [INVALID_OPTION]');
    expect(redactUrl('rediss://user:p@ss/w@host:6380')).toBe('rediss://user:***@host:6380');
    expect(redactUrl('redis://lonepart@host')).toBe('redis://***@host');
  });

  it('leaves a URL without credentials as it is', () => {
    expect(redactUrl('redis://127.0.0.1:6379/2')).toBe('redis://127.0.0.1:6379/2');
  });
});
