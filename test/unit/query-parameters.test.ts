import { expect } from 'chai';
import { ApiError, badQueryValue, unprocessableEntity } from '../../src/errors/api-error.ts';
import { QueryParameters } from '../../src/http/query-parameters.ts';
import { SchemaCompiler } from '../../src/http/schema-compiler.ts';

const list = { type: 'array', items: { type: 'string' } };
const specs = [
  { name: 'names', explode: false, schema: list },
  { name: 'hosts', explode: false, schema: list },
  { name: 'envelope_types', explode: true, schema: list },
  { name: 'page', schema: { type: 'integer', minimum: 1 } },
  { name: 'descending', schema: { type: 'boolean' } },
  { name: 'fields[space]', explode: false, schema: list },
  { name: 'label_selector', schema: { type: 'string' } },
];
const parameters = new QueryParameters(specs, new SchemaCompiler(), unprocessableEntity);
const parse = (query: string) => parameters.parse(new URLSearchParams(query));

describe('QueryParameters', () => {
  it('splits comma lists and restores the commas the cf CLI double-encodes inside a value', () => {
    expect(parse('names=a%252Cb,c')).to.deep.equal({ names: ['a,b', 'c'] });
  });

  it('keeps an empty value as one empty item, which filters for the empty host', () => {
    expect(parse('hosts=')).to.deep.equal({ hosts: [''] });
  });

  it('reads only the first value of a repeated key, as Korifi does, unless the parameter is exploded', () => {
    expect(parse('names=a&names=b&envelope_types=LOG&envelope_types=GAUGE')).to.deep.equal({
      names: ['a'],
      envelope_types: ['LOG', 'GAUGE'],
    });
  });

  it('reads integers and booleans strictly', () => {
    expect(parse('page=3&descending=true')).to.deep.equal({ page: 3, descending: true });
    for (const query of ['page=3.0', 'page=three', 'page=', 'descending=yes', 'descending=1']) {
      expect(() => parse(query), query).to.throw(ApiError);
    }
  });

  it('takes bracketed keys literally', () => {
    expect(parse('fields%5Bspace%5D=guid,name')).to.deep.equal({ 'fields[space]': ['guid', 'name'] });
  });

  it('names the valid keys when one is unknown', () => {
    expect(() => parse('colour=blue'))
      .to.throw(ApiError)
      .with.property(
        'detail',
        "The query parameter is invalid: Valid parameters are: 'names', 'hosts', 'envelope_types', 'page', 'descending', 'fields[space]', 'label_selector'",
      );
  });

  it("answers a bad value with the operation's error: 422 by default, 400 where the operation says so", () => {
    const logCacheLike = new QueryParameters(specs, new SchemaCompiler(), badQueryValue);
    for (const query of ['page=0', 'descending=yes', 'label_selector=a%20b%20c']) {
      const status = (reader: QueryParameters) => {
        try {
          reader.parse(new URLSearchParams(query));
        } catch (error) {
          return error instanceof ApiError ? [error.status, error.title] : error;
        }
        return 'parsed';
      };
      expect(status(parameters), query).to.deep.equal([422, 'CF-UnprocessableEntity']);
      expect(status(logCacheLike), query).to.deep.equal([400, 'CF-BadQueryParameter']);
    }
  });
});
