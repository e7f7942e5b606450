// SPDX-License-Identifier: GPL-2.0
/*
 * ELF reading helpers and the debug-file search. The input is any file a
 * traced process maps (and a fuzz target), so sizes, note lengths and name
 * lengths are checked before use; libelf bounds-checks the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "elf_file.h"

#define MAX_INFLATE_RATIO 1100 /* deflate cannot compress better than ~1032:1 */

static char debug_root[PATH_MAX] = "/usr/lib/debug";

void elf_file__set_debug_root(const char *dir)
{
	snprintf(debug_root, sizeof(debug_root), "%s", dir ? dir : "/usr/lib/debug");
}

Elf *elf_file__begin(int fd, size_t *file_size)
{
	struct stat st;
	Elf *e;

	if (fstat(fd, &st) || st.st_size <= 0)
		return NULL;
	*file_size = (size_t)st.st_size;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e && (elf_kind(e) != ELF_K_ELF || gelf_getclass(e) == ELFCLASSNONE)) {
		elf_end(e);
		return NULL;
	}
	return e;
}

Elf_Data *elf_file__section_data(Elf_Scn *scn, size_t file_size)
{
	GElf_Shdr sh;

	if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
		return NULL;
	if (sh.sh_flags & SHF_COMPRESSED) {
		uint64_t avail = sh.sh_size < file_size ? sh.sh_size : file_size;
		GElf_Chdr ch;

		/* A forged header must not make libelf allocate gigabytes. */
		if (!gelf_getchdr(scn, &ch) || ch.ch_size / MAX_INFLATE_RATIO > avail)
			return NULL;
		if (elf_compress(scn, 0, 0) < 0)
			return NULL;
	}
	return elf_getdata(scn, NULL);
}

/* Find NT_GNU_BUILD_ID in a block of notes and write it as hex into out. */
static bool scan_notes(Elf_Data *d, char *out)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	if (!d || !d->d_buf || d->d_size < 4)
		return false;
	while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		const unsigned char *desc = (const unsigned char *)d->d_buf + desc_off;

		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 || !nh.n_descsz ||
		    nh.n_descsz > ELF_FILE_BUILD_ID_MAX || name_off > d->d_size - 4 ||
		    desc_off > d->d_size - nh.n_descsz ||
		    memcmp((const char *)d->d_buf + name_off, "GNU", 4))
			continue;
		for (size_t i = 0; i < nh.n_descsz; i++)
			sprintf(out + 2 * i, "%02x", desc[i]);
		return true;
	}
	return false;
}

void elf_file__build_id(Elf *e, size_t file_size, char out[ELF_FILE_BUILD_ID_LEN])
{
	Elf_Scn *scn = NULL;
	size_t n;

	out[0] = '\0';
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE &&
		    scan_notes(elf_file__section_data(scn, file_size), out))
			return;
	}
	/* Sections can be stripped away entirely; the segments cannot. */
	if (elf_getphdrnum(e, &n))
		return;
	for (size_t i = 0; i < n && i < INT_MAX; i++) {
		GElf_Phdr ph;
		Elf_Data *d;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz,
					 ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
		if (scan_notes(d, out))
			return;
	}
}

void elf_file__debuglink(Elf *e, size_t file_size, struct elf_debuglink *link)
{
	const unsigned char *p;
	Elf_Scn *scn = NULL;
	size_t shstrndx, len;
	GElf_Ehdr eh;
	Elf_Data *d;

	link->name[0] = '\0';
	if (elf_getshdrstrndx(e, &shstrndx) || !gelf_getehdr(e, &eh))
		return;
	while ((scn = elf_nextscn(e, scn))) {
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(e, shstrndx, sh.sh_name)) ||
		    strcmp(name, ".gnu_debuglink"))
			continue;
		d = elf_file__section_data(scn, file_size);
		if (!d || !d->d_buf)
			return;
		/* NUL-terminated file name, padding to 4, then the CRC32 of the debug file. */
		p = d->d_buf;
		len = strnlen((const char *)p, d->d_size);
		if (!len || len >= sizeof(link->name) || memchr(p, '/', len))
			return;
		if (((len + 4) & ~(size_t)3) + 4 > d->d_size)
			return;
		p += (len + 4) & ~(size_t)3;
		if (eh.e_ident[EI_DATA] == ELFDATA2MSB)
			link->crc = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | p[2] << 8 | p[3];
		else
			link->crc = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | p[1] << 8 | p[0];
		memcpy(link->name, d->d_buf, len);
		link->name[len] = '\0';
		return;
	}
}

static bool crc_matches(int fd, uint32_t want)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, NULL, 0);
	off_t off = 0;
	ssize_t r;

	while ((r = pread(fd, buf, sizeof(buf), off)) > 0) {
		crc = crc32(crc, buf, (uInt)r);
		off += r;
	}
	return r == 0 && crc == want;
}

struct search {
	const char *build_id;
	bool (*load)(Elf *e, size_t file_size, void *ctx);
	void *ctx;
};

static bool try_file(const struct search *q, const char *path, const uint32_t *crc)
{
	char id[ELF_FILE_BUILD_ID_LEN];
	bool taken = false;
	size_t fsize;
	Elf *e = NULL;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (crc && !crc_matches(fd, *crc))
		goto out;
	e = elf_file__begin(fd, &fsize);
	if (!e)
		goto out;
	/* A stale debug file of another build would give confidently wrong names. */
	elf_file__build_id(e, fsize, id);
	if (q->build_id && q->build_id[0] && id[0] && strcmp(id, q->build_id))
		goto out;
	taken = q->load(e, fsize, q->ctx);
out:
	elf_end(e);
	close(fd);
	return taken;
}

bool elf_file__find_debug(const char *build_id, const char *name, const struct elf_debuglink *link,
			  bool (*load)(Elf *e, size_t file_size, void *ctx), void *ctx)
{
	char path[2 * PATH_MAX + sizeof(link->name) + 16], dir[PATH_MAX];
	struct search q = {build_id, load, ctx};
	const char *slash;

	if (build_id && strlen(build_id) > 2) {
		snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", debug_root, build_id,
			 build_id + 2);
		if (try_file(&q, path, NULL))
			return true;
	}
	if (!link->name[0] || !name || !(slash = strrchr(name, '/')))
		return false;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - name), name);
	snprintf(path, sizeof(path), "%s/%s", dir, link->name);
	if (try_file(&q, path, &link->crc))
		return true;
	snprintf(path, sizeof(path), "%s/.debug/%s", dir, link->name);
	if (try_file(&q, path, &link->crc))
		return true;
	snprintf(path, sizeof(path), "%s%s/%s", debug_root, dir, link->name);
	return try_file(&q, path, &link->crc);
}
