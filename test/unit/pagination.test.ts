import { expect } from 'chai';
import { paginate } from '../../src/lists/pagination.ts';

const items = Array.from({ length: 7 }, (_, index) => index + 1);
const listUrl = new URL('https://api.example.test/v3/apps?names=a,b&order_by=-name&per_page=3&page=2');

describe('paginate', () => {
  it('returns the requested page and links that keep every filter, alphabetically', () => {
    const page = paginate(items, { page: 2, perPage: 3 }, listUrl);
    expect(page.resources).to.deep.equal([4, 5, 6]);
    expect(page.pagination).to.deep.equal({
      total_results: 7,
      total_pages: 3,
      first: { href: 'https://api.example.test/v3/apps?names=a,b&order_by=-name&page=1&per_page=3' },
      last: { href: 'https://api.example.test/v3/apps?names=a,b&order_by=-name&page=3&per_page=3' },
      next: { href: 'https://api.example.test/v3/apps?names=a,b&order_by=-name&page=3&per_page=3' },
      previous: { href: 'https://api.example.test/v3/apps?names=a,b&order_by=-name&page=1&per_page=3' },
    });
  });

  it('has no next link on the last page and a short last page', () => {
    const page = paginate(items, { page: 3, perPage: 3 }, listUrl);
    expect(page.resources).to.deep.equal([7]);
    expect(page.pagination.next).to.equal(null);
  });

  it('has no previous link on the first page', () => {
    expect(paginate(items, { page: 1, perPage: 3 }, listUrl).pagination.previous).to.equal(null);
  });

  it('returns the page asked for even when one page would hold everything (no Korifi "whole set as page 1")', () => {
    const page = paginate(items, { page: 2, perPage: 50 }, listUrl);
    expect(page.resources).to.deep.equal([]);
    expect(page.pagination.total_pages).to.equal(1);
    expect(page.pagination.previous).to.deep.equal({
      href: 'https://api.example.test/v3/apps?names=a,b&order_by=-name&page=1&per_page=50',
    });
  });

  it('returns an empty page past the end, pointing back at the last page', () => {
    const page = paginate(items, { page: 9, perPage: 3 }, listUrl);
    expect(page.resources).to.deep.equal([]);
    expect(page.pagination.next).to.equal(null);
    expect(page.pagination.previous!.href).to.contain('page=3&');
  });

  it('reports one page for an empty list', () => {
    const page = paginate([], { page: 1, perPage: 50 }, new URL('https://api.example.test/v3/apps'));
    expect(page.pagination).to.deep.equal({
      total_results: 0,
      total_pages: 1,
      first: { href: 'https://api.example.test/v3/apps?page=1&per_page=50' },
      last: { href: 'https://api.example.test/v3/apps?page=1&per_page=50' },
      next: null,
      previous: null,
    });
  });

  it('counts pages for exact multiples', () => {
    expect(paginate(Array.from({ length: 6 }), { page: 1, perPage: 3 }, listUrl).pagination.total_pages).to.equal(2);
  });
});
