import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { DataTable } from './data-table';

const LOC = { locale: 'en-US', timeZone: 'UTC' };
const rows = Array.from({ length: 25 }, (_, i) => ({ id: i + 1, name: `row ${i + 1}` }));
const columns = [{ name: 'id', type: 'int4' }, { name: 'name' }];

describe('DataTable', () => {
  afterEach(cleanup);

  it('pages the rows with a page-size setting', () => {
    render(<DataTable label="t" columns={columns} rows={rows} pageSize={10} locale={LOC} />);
    const pager = screen.getByRole('navigation', { name: 't pages' });
    expect(pager).toHaveTextContent('Page 1 of 3');
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(pager).toHaveTextContent('Page 2 of 3');
    fireEvent.change(screen.getByLabelText('Rows per page'), { target: { value: '25' } });
    expect(pager).toHaveTextContent('Page 1 of 1');
  });

  it('filters the loaded rows by search and counts them', () => {
    render(<DataTable label="t" columns={columns} rows={rows} locale={LOC} />);
    expect(screen.getByRole('status')).toHaveTextContent('25 rows');
    fireEvent.change(screen.getByLabelText('Search t'), { target: { value: 'ROW 1' } });
    // row 1, row 10-19
    expect(screen.getByRole('status')).toHaveTextContent('11 of 25 rows');
    expect(screen.getByRole('table', { name: 't' })).toHaveAttribute('aria-rowcount', '12');
  });

  it('sorts by a header click: ascending, descending, none (aria-sort)', () => {
    render(<DataTable label="t" columns={columns} rows={rows} locale={LOC} />);
    const header = screen.getByRole('columnheader', { name: /^id/ });
    const button = screen.getByRole('button', { name: 'id' });
    expect(header).toHaveAttribute('aria-sort', 'none');
    fireEvent.click(button);
    expect(header).toHaveAttribute('aria-sort', 'ascending');
    fireEvent.click(button);
    expect(header).toHaveAttribute('aria-sort', 'descending');
    fireEvent.click(button);
    expect(header).toHaveAttribute('aria-sort', 'none');
  });

  it('gives the header and every row the same column template', () => {
    render(<DataTable label="t" columns={columns} rows={rows} locale={LOC} />);
    const rowsEls = screen.getAllByRole('row');
    const templates = new Set(rowsEls.map((r) => r.style.gridTemplateColumns));
    expect(templates.size).toBe(1);
    expect([...templates][0]).toMatch(/^\d+px \d+px$/);
  });
});
